"""What a request did to a scratch fixture when libvirt kept no definition of it.

With ``--no-metadata`` libvirt carries a snapshot out and forgets it: nothing can be read
back, so the harness looks at what changed instead, one short fact each:

* ``created PATH``: a file that was not in the scratch directory before (an overlay, a
  memory file);
* ``TARGET: the disk's source is now PATH``: the domain (live definition when it runs, the
  persistent one otherwise) now writes elsewhere;
* ``TARGET: the image holds internal snapshot 'NAME'``: ``qemu-img info`` lists a snapshot
  inside a qcow2 image of the fixture (local images only).

The reference implementation states the same facts from the definition it resolved
(:func:`harness.reference.effects.effects_of`), so the two are compared in table cells.
"""

from __future__ import annotations

from pathlib import Path

from harness.host.backend import Backend
from harness.host.domains import Fixture, disk_sources
from harness.host.images import image_snapshots


def scratch_files(scratch: Path) -> set[str]:
    """The paths under ``scratch`` (one level: the harness keeps nothing deeper there)."""
    if not scratch.is_dir():
        return set()
    return {str(p) for p in scratch.iterdir()}


def observe_effects(
    backend: Backend, fx: Fixture, scratch: Path, before: set[str], *, local: bool
) -> tuple[str, ...]:
    """The facts above for ``fx`` after a request, given the scratch files ``before`` it."""
    facts = [f"created {p}" for p in sorted(scratch_files(scratch) - before)]
    active = backend.domain_state(fx.uuid) not in ("shutoff", "shut off")
    now = disk_sources(backend.domain_xml(fx.uuid, inactive=not active))
    for disk in fx.spec.disks:
        source = now.get(disk.target)
        if source != disk.source:
            facts.append(f"{disk.target}: the disk's source is now {source}")
    if local:
        for disk in fx.spec.disks:
            if disk.source is not None and disk.format == "qcow2" and disk.type == "file":
                facts.extend(
                    f"{disk.target}: the image holds internal snapshot '{name}'"
                    for name in image_snapshots(disk.source)
                )
    return tuple(sorted(facts))
