"""The QEMU driver's checks after alignment (``qemuSnapshotPrepare``, 9.0.0).

Files on the host are modelled from the domain itself: a file-backed disk's source is an
existing, non-empty regular file, a block disk's source an existing block device, and no
other path exists (the scratch directory holds nothing else when a request runs).
"""

from __future__ import annotations

from .errors import fail
from .model import EXTERNAL, INTERNAL, MANUAL, NO, Domain, SnapshotDef, SnapshotDisk


def _existing(path: str, domain: Domain) -> str | None:
    """What ``stat()`` finds at ``path``: "file", "block" or None (ENOENT)."""
    for disk in domain.disks:
        if disk.source == path:
            return "block" if disk.type == "block" else "file"
    return None


def prepare(snap: SnapshotDef, domain: Domain, *, active: bool, reuse: bool) -> None:
    found_internal = False
    forbid_internal = False
    external = 0
    for disk, dom_disk in zip(snap.disks, domain.disks, strict=True):
        if disk.snapshot == INTERNAL:
            found_internal = True
            if snap.state == "disk-snapshot" and active:
                fail(
                    "VIR_ERR_CONFIG_UNSUPPORTED",
                    "active qemu domains require external disk snapshots; "
                    f"disk {disk.name} requested internal",
                )
            if dom_disk.format is not None and dom_disk.format != "qcow2":
                fail(
                    "VIR_ERR_CONFIG_UNSUPPORTED",
                    f"internal snapshot for disk {disk.name} unsupported for storage type "
                    f"{dom_disk.format}",
                )
        elif disk.snapshot == EXTERNAL:
            _prepare_external(disk, domain, active=active, reuse=reuse)
            external += 1
        elif disk.snapshot == NO:
            if not dom_disk.is_empty() and not dom_disk.readonly:
                forbid_internal = True
        elif disk.snapshot == MANUAL:
            forbid_internal = True

    if not found_internal and not external and snap.memory == NO:
        fail("VIR_ERR_CONFIG_UNSUPPORTED", "nothing selected for snapshot")
    if (snap.memory == INTERNAL and not found_internal) or (found_internal and forbid_internal):
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            "internal and full system snapshots require all disks to be selected for snapshot",
        )
    if snap.state == "disk-snapshot" and not external:
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            "disk-only snapshots require at least one disk to be selected for snapshot",
        )
    if (
        (found_internal and external)
        or (snap.memory == INTERNAL and external)
        or (snap.memory == EXTERNAL and found_internal)
    ):
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            "mixing internal and external targets for a snapshot is not yet supported",
        )


def _prepare_external(disk: SnapshotDisk, domain: Domain, *, active: bool, reuse: bool) -> None:
    src = disk.source
    if src.format is None:
        src.format = "qcow2"
    elif src.format not in ("qcow2", "qed"):
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            f"external snapshot format for disk {disk.name} is unsupported: {src.format}",
        )
    if src.metadata_cache_max and src.format != "qcow2":
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            "metadata cache max size control is supported only with qcow2 images",
        )
    if src.type == "network":
        if not active:
            fail(
                "VIR_ERR_INTERNAL_ERROR",
                "external inactive snapshots are not supported on 'network' disks",
            )
        return
    if src.path is None:
        return
    found = _existing(src.path, domain)
    if found is None:
        if reuse:
            fail(
                "VIR_ERR_SYSTEM_ERROR",
                f"missing existing file for disk {disk.name}: {src.path}: "
                "No such file or directory",
            )
        if src.type == "block":
            fail(
                "VIR_ERR_OPERATION_UNSUPPORTED",
                f"block device snapshot target '{src.path}' doesn't exist",
            )
        return
    if found != src.type:
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            f"mismatch between configured type for snapshot disk '{disk.name}' and the type "
            f"of existing file '{src.path}'",
        )
    if not reuse and src.type == "file":
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            f"external snapshot file for disk {disk.name} already exists and is not a block "
            f"device: {src.path}",
        )
