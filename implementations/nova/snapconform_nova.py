"""snapconform writer for OpenStack nova's ``LibvirtConfigGuestSnapshot``.

The class is in nova/virt/libvirt/config.py.

nova only writes snapshot requests: ``LibvirtDriver._volume_snapshot_create``
(nova/virt/libvirt/driver.py) fills a ``LibvirtConfigGuestSnapshot`` with one
``LibvirtConfigGuestSnapshotDisk`` per disk and sends ``to_xml()`` to libvirt. ``write()``
does exactly that with the attributes a writer case gives (``harness/writer.py``): the
snapshot's ``name`` and, per disk, any of the disk object's attributes, set by name.
"""

from __future__ import annotations

import logging
import warnings
from importlib import metadata
from typing import Any

logging.getLogger("nova").setLevel(logging.ERROR)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from nova.virt.libvirt import config as vconfig

DISK_FIELDS = (
    "name",
    "snapshot",
    "source_type",
    "source_path",
    "source_device",
    "driver_name",
    "driver_format",
    "driver_cache",
)


def identify() -> dict[str, Any]:
    return {
        "name": "nova LibvirtConfigGuestSnapshot",
        "version": metadata.version("nova"),
        "classes": ["writer"],
        "details": {"module": vconfig.__name__},
    }


def write(inputs: dict[str, Any]) -> str:
    snapshot = vconfig.LibvirtConfigGuestSnapshot()
    if inputs.get("name") is not None:
        snapshot.name = inputs["name"]
    for fields in inputs.get("disks", []):
        unknown = set(fields) - set(DISK_FIELDS)
        if unknown:
            raise ValueError(f"not a LibvirtConfigGuestSnapshotDisk field: {sorted(unknown)}")
        disk = vconfig.LibvirtConfigGuestSnapshotDisk()
        for key, value in fields.items():
            setattr(disk, key, value)
        snapshot.add_disk(disk)
    return str(snapshot.to_xml())
