"""What a snapshot the driver keeps no definition of (``--no-metadata``) leaves behind.

Stated from the definition the reference resolved, as the same facts the host adapters
observe (:mod:`harness.host.effects`): the files created, the disks whose source is now an
overlay, the images that now hold an internal snapshot. Confirmed live on libvirt 9.0.0 +
QEMU 7.2 with the Python binding, outside the harness (the 14 ``--no-metadata`` cells of
``corpus/tables/libvirt-9.0-qemu.json``).
"""

from __future__ import annotations

from .model import SnapshotDef


def effects_of(snap: SnapshotDef) -> tuple[str, ...]:
    facts: list[str] = []
    if snap.memory == "external" and snap.memory_file:
        facts.append(f"created {snap.memory_file}")
    for disk in snap.disks:
        if disk.snapshot == "internal":
            facts.append(f"{disk.name}: the image holds internal snapshot '{snap.name}'")
        elif disk.snapshot == "external" and disk.source.path:
            facts.append(f"created {disk.source.path}")
            facts.append(f"{disk.name}: the disk's source is now {disk.source.path}")
    return tuple(sorted(facts))
