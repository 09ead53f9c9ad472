"""What a request did to a scratch fixture when libvirt kept no definition of it.

With ``--no-metadata`` libvirt carries a snapshot out and forgets it: nothing can be read
back, so the harness looks at what changed instead, one short fact each:

* ``created PATH``: a file that was not in the scratch directory before (an overlay, a
  memory file);
* ``TARGET: the disk's source is now PATH``: the domain (live definition when it runs, the
  persistent one otherwise) now writes elsewhere;
* ``TARGET: the image holds internal snapshot 'NAME'``: a qcow2 image of the fixture lists
  a snapshot (``qemu-img info``; on a remote host, its header read back through libvirt).

The reference implementation states the same facts from the definition it resolved
(:func:`harness.reference.effects.effects_of`), so the two are compared in table cells.
"""

from __future__ import annotations

from harness.host.backend import Backend
from harness.host.domains import Fixture, disk_sources
from harness.host.storage import Storage


def observe_effects(
    backend: Backend, fx: Fixture, storage: Storage, before: set[str]
) -> tuple[str, ...]:
    """The facts above for ``fx`` after a request, given the scratch files ``before`` it."""
    facts = [f"created {p}" for p in sorted(storage.files() - before)]
    active = backend.domain_state(fx.uuid) not in ("shutoff", "shut off")
    now = disk_sources(backend.domain_xml(fx.uuid, inactive=not active))
    for disk in fx.spec.disks:
        source = now.get(disk.target)
        if source != disk.source:
            facts.append(f"{disk.target}: the disk's source is now {source}")
    if fx.spec.images:
        for disk in fx.spec.disks:
            if disk.source is not None and disk.format == "qcow2" and disk.type == "file":
                facts.extend(
                    f"{disk.target}: the image holds internal snapshot '{name}'"
                    for name in storage.image_snapshots(disk.source)
                )
    return tuple(sorted(facts))
