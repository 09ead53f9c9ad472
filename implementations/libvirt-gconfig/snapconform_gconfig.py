"""snapconform adapter for libvirt-gconfig (libvirt-glib's GObject configuration model).

The document is parsed with ``LibvirtGConfig.DomainSnapshot.new_from_xml`` and validated
with the library's own ``validate()`` (libvirt's RELAX NG schema, the way the library checks
a document); every field is then read through the library's getters, and a new
``DomainSnapshot`` is built through its setters and formatted with ``to_xml()``. What the
library has no setter for (``state``, ``creationTime``, ``parent``, ``domain``) cannot be
written and is lost: that is the library's model, and its known failures say so.

The library's enum getters answer a fallback when the attribute is absent
(``get_memory_state``: NONE, ``DomainSnapshotDisk.get_snapshot_type``: NO,
``get_driver_format``: RAW), so a caller cannot tell "absent" from that value; the adapter
reads the fallback as "absent" and does not write it.
"""

from __future__ import annotations

import subprocess
from typing import Any

import gi

gi.require_version("LibvirtGConfig", "1.0")
from gi.repository import GLib, LibvirtGConfig  # noqa: E402

#: The Debian package this adapter was triaged against.
PACKAGE = "gir1.2-libvirt-glib-1.0"


def _version() -> str:
    """The installed package's version (the library reports none of its own)."""
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", PACKAGE],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def identify() -> dict[str, Any]:
    return {
        "contract": "1",
        "name": "libvirt-gconfig",
        "version": _version(),
        "levels": ["syntax"],
        "operations": ["parse"],
        "profile": "libvirt-9.0-qemu",
        "classes": ["model"],
        "details": {"package": PACKAGE, "api": "LibvirtGConfig.DomainSnapshot"},
    }


def _rejected(exc: Exception) -> dict[str, Any]:
    message = exc.message if isinstance(exc, GLib.Error) else str(exc)
    return {"outcome": "rejected", "kind": "invalid", "message": message or type(exc).__name__}


def _copy_disk(old: Any) -> Any:
    """A new DomainSnapshotDisk with every field of ``old`` read and set again."""
    new = LibvirtGConfig.DomainSnapshotDisk.new()
    name = old.get_name()
    if name is not None:
        new.set_name(name)
    kind = old.get_snapshot_type()
    if kind != LibvirtGConfig.DomainDiskSnapshotType.NO:
        new.set_snapshot_type(kind)
    source = old.get_source_file()
    if source is not None:
        new.set_source_file(source)
    driver = old.get_driver_format()
    if driver != LibvirtGConfig.DomainDiskFormat.RAW:
        new.set_driver_format(driver)
    return new


def run(request: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = LibvirtGConfig.DomainSnapshot.new_from_xml(request["xml"])
        parsed.validate()
    except GLib.Error as exc:
        return _rejected(exc)
    snapshot = LibvirtGConfig.DomainSnapshot.new()
    for getter, setter in (
        (parsed.get_name, snapshot.set_name),
        (parsed.get_description, snapshot.set_description),
        (parsed.get_memory_file, snapshot.set_memory_file),
    ):
        value = getter()
        if value is not None:
            setter(value)
    memory = parsed.get_memory_state()
    if memory != LibvirtGConfig.DomainSnapshotMemoryState.NONE:
        snapshot.set_memory_state(memory)
    # Read, though the library offers no setter to write them again.
    parsed.get_state(), parsed.get_creation_time(), parsed.get_parent(), parsed.get_domain()
    disks = [_copy_disk(d) for d in parsed.get_disks()]
    if disks:
        snapshot.set_disks(disks)
    return {"outcome": "accepted", "xml": snapshot.to_xml()}
