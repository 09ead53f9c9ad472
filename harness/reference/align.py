"""Aligning a snapshot's disks to its domain (``virDomainSnapshotAlignDisks``).

Rules A1-A10 of the project notes: every domain disk gets exactly one entry, in domain
order; listed disks are checked and defaulted, unlisted ones take the domain's
``<disk snapshot=...>`` or the default; external disks without a path get a generated name.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import fail
from .model import EXTERNAL, INTERNAL, NO, Domain, SnapshotDef, SnapshotDisk
from .profiles import Era


def align_disks(
    snap: SnapshotDef,
    domain: Domain | None,
    default: str,
    *,
    uniform: bool,
    era: Era,
    regular_file: Callable[[str], bool] | None = None,
) -> None:
    """Align ``snap.disks`` to ``domain`` in place, or raise libvirt's error.

    ``uniform`` asks that an internal snapshot cover every disk ("require_match"): in force
    only when the default location is internal. ``regular_file`` is ``stat()`` of a source
    path (None: every file-backed disk's source exists, as for the domain the request runs
    against, whose images the harness makes).
    """
    if domain is None:  # A1
        fail("VIR_ERR_INTERNAL_ERROR", "missing domain in snapshot")
    if len(snap.disks) > len(domain.disks):  # A2
        fail("VIR_ERR_CONFIG_UNSUPPORTED", "too many disk snapshot requests for domain")
    require_match = uniform and default == INTERNAL
    if not domain.disks:
        return

    listed: dict[str, SnapshotDisk] = {}
    for disk in snap.disks:
        dom_disk = domain.find_disk(disk.name)
        if dom_disk is None:  # A3
            fail("VIR_ERR_CONFIG_UNSUPPORTED", f"no disk named '{disk.name}'")
        if dom_disk.target in listed:  # A4
            fail("VIR_ERR_CONFIG_UNSUPPORTED", f"disk '{disk.name}' specified twice")
        listed[dom_disk.target] = disk
        if disk.snapshot is None:  # A5
            if dom_disk.snapshot is not None and (not require_match or dom_disk.snapshot == NO):
                disk.snapshot = dom_disk.snapshot
            else:
                disk.snapshot = default
        elif (
            require_match
            and disk.snapshot != default
            and not (disk.snapshot == NO and dom_disk.snapshot == NO)
        ):  # A6
            fail(
                "VIR_ERR_CONFIG_UNSUPPORTED",
                f"disk '{disk.name}' must use snapshot mode '{default}'",
            )
        if disk.source.path is not None and disk.snapshot != EXTERNAL:  # A7
            fail(
                "VIR_ERR_CONFIG_UNSUPPORTED",
                f"file '{disk.source.path}' for disk '{disk.name}' requires use of "
                "external snapshot mode",
            )
        disk.name = dom_disk.target

    aligned = []
    for dom_disk in domain.disks:  # A8, A9
        found = listed.get(dom_disk.target)
        if found is None:
            mode = NO if dom_disk.is_empty() else dom_disk.snapshot
            found = SnapshotDisk(name=dom_disk.target, snapshot=mode or default)
        aligned.append(found)
    snap.disks = aligned
    _assign_external_names(snap, domain, era, regular_file)


def _assign_external_names(
    snap: SnapshotDef, domain: Domain, era: Era, regular_file: Callable[[str], bool] | None
) -> None:
    """A10: ``<source minus its last extension>.<snapshot name>`` for external disks
    without a path (``virDomainSnapshotDefAssignExternalNames``)."""
    for index, disk in enumerate(snap.disks):
        if disk.snapshot != EXTERNAL or disk.source.path is not None:
            continue
        if era is Era.V9 and disk.source.type != "file":
            fail(
                "VIR_ERR_CONFIG_UNSUPPORTED",
                f"cannot generate external snapshot name for disk '{disk.name}' on a "
                f"'{disk.source.type}' device",
            )
        dom_disk = domain.disks[index]
        if dom_disk.source is None:
            fail(
                "VIR_ERR_CONFIG_UNSUPPORTED",
                f"cannot generate external snapshot name for disk '{disk.name}' without source",
            )
        # stat(): only a file-backed disk's source is a regular file
        exists = regular_file is None or regular_file(dom_disk.source)
        if dom_disk.type != "file" or not exists:
            fail(
                "VIR_ERR_CONFIG_UNSUPPORTED",
                f"source for disk '{disk.name}' is not a regular file; refusing to generate "
                "external snapshot name",
            )
        disk.source.path = external_name(dom_disk.source, snap.name)
        if era is Era.SEED:
            continue
        for other in snap.disks[:index]:
            if other.source.path == disk.source.path:
                fail(
                    "VIR_ERR_CONFIG_UNSUPPORTED",
                    f"cannot generate external snapshot name for disk '{disk.name}': "
                    f"collision with disk '{other.name}'",
                )


def external_name(source: str, snapshot_name: str | None) -> str:
    """The default overlay path: the last extension of the file name dropped (only when
    the dot is in the final path component), then ``.<snapshot name>``."""
    dot = source.rfind(".")
    stem = source[:dot] if dot >= 0 and "/" not in source[dot:] else source
    return f"{stem}.{snapshot_name}"
