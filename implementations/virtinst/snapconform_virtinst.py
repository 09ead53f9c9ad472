"""snapconform adapter for virtinst (virt-manager's XML model library), ``virtinst.DomainSnapshot``.

The document is parsed with ``DomainSnapshot(conn, parsexml=...)`` (virtinst's XMLBuilder
over libxml2); every property the class defines is read, and a new ``DomainSnapshot`` is
built by setting them (its disks through ``disks.add_new()``) and formatted with
``get_xml()``. What the class has no property for (``<memory file>``, a disk's ``<source>``,
``<driver>`` and ``type``, the embedded ``<domain>``) cannot be written and is lost: that is
virtinst's model, and its known failures say so. ``validate()`` is called as a program
would before using the object. No connection is needed: DomainSnapshot never uses its
``conn``, so the adapter passes ``None``.
"""

from __future__ import annotations

import sys
from typing import Any

#: Where Debian's virtinst package installs the library (it is not on sys.path).
VIRT_MANAGER = "/usr/share/virt-manager"
if VIRT_MANAGER not in sys.path:
    sys.path.append(VIRT_MANAGER)

import virtinst  # noqa: E402
from virtinst import DomainSnapshot  # noqa: E402
from virtinst.buildconfig import BuildConfig  # noqa: E402

#: Every property of DomainSnapshot (virtinst/snapshot.py), in the order they are set.
PROPERTIES = ("name", "description", "state", "creationTime", "parent", "memory_type")
DISK_PROPERTIES = ("name", "snapshot")


def identify() -> dict[str, Any]:
    return {
        "contract": "1",
        "name": "virtinst",
        "version": str(BuildConfig.version),
        "levels": ["syntax"],
        "operations": ["parse"],
        "profile": "libvirt-9.0-qemu",
        "classes": ["model"],
        "details": {"package": "virtinst", "api": "virtinst.DomainSnapshot"},
    }


def run(request: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = DomainSnapshot(None, parsexml=request["xml"])
        parsed.validate()
    except Exception as exc:  # libxml2.parserError, RuntimeError (root), ValueError
        message = str(exc) or type(exc).__name__
        return {"outcome": "rejected", "kind": "invalid", "message": message}
    snapshot = DomainSnapshot(None)
    for prop in PROPERTIES:
        value = getattr(parsed, prop)
        if value is not None:
            setattr(snapshot, prop, value)
    for old in parsed.disks:
        new = snapshot.disks.add_new()
        for prop in DISK_PROPERTIES:
            value = getattr(old, prop)
            if value is not None:
                setattr(new, prop, value)
    snapshot.validate()
    return {"outcome": "accepted", "xml": snapshot.get_xml()}


__all__ = ["identify", "run", "virtinst"]
