"""snapconform adapter for avocado-vt's ``virttest.libvirt_xml.snapshot_xml.SnapshotXML``.

A syntax case is a round trip through the library's model, as a program that reads a
snapshot and writes one would do it:

1. parse: ``SnapshotXML().xml = document`` (the library's own loader, ``xml_utils.XMLTreeFile``),
   then ``validates`` (the library's check: ``virt-xml-validate`` against libvirt's schema);
2. read every field through the library's accessors (``snap_name``, ``description``,
   ``state``, ``creation_time``, ``parent_name``, ``mem_snap_type``, ``mem_file``; each disk
   as a ``SnapshotXML.SnapDiskXML``: ``disk_name``, ``disk_snapshot``, ``type_name``,
   ``driver``, ``source.attrs``);
3. build a new ``SnapshotXML`` through the setters (``set_disks`` for the disks);
4. format it (``str()``).

The parsed tree is never echoed. The library has no reader for ``<disks>`` (only
``set_disks``/``del_disks``), so the ``<disk>`` elements are found in its tree
(``xmltreefile.findall``) and each is loaded into a ``SnapDiskXML`` by its ``xml`` setter, the
way avocado-vt's own tests load device XML. What the library has no accessor for (the
embedded ``<domain>``, for one) is lost, as it is for such a program.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
from importlib import metadata
from typing import Any
from xml.etree import ElementTree

from harness.xmlsafe import XmlError, parse_xml

logging.getLogger("avocado").setLevel(logging.ERROR)

with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    # virttest prints a notice about a missing imaging library at import
    from virttest.libvirt_xml import xcepts
    from virttest.libvirt_xml.snapshot_xml import SnapshotXML

TOP_TEXT = ("snap_name", "description", "state", "creation_time", "parent_name")
MEMORY = ("mem_snap_type", "mem_file")
DISK_ATTRS = ("disk_name", "disk_snapshot", "type_name")
MISSING = (xcepts.LibvirtXMLNotFoundError, xcepts.LibvirtXMLError, KeyError, AttributeError)


def identify() -> dict[str, Any]:
    return {
        "contract": "1",
        "name": "avocado-vt SnapshotXML",
        "version": metadata.version("avocado-framework-plugin-vt"),
        "levels": ["syntax"],
        "operations": ["parse"],
        "profile": "libvirt-9.0-qemu",
        "classes": ["model"],
        "details": {
            "module": "virttest.libvirt_xml.snapshot_xml",
            "avocado-framework": metadata.version("avocado-framework"),
            "validator": shutil.which("virt-xml-validate") or "absent",
        },
    }


def _get(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name)
    except MISSING:
        return None


def _reject(message: str) -> dict[str, Any]:
    return {"outcome": "rejected", "kind": "invalid", "message": message}


def _read_disk(element: Any) -> dict[str, Any]:
    disk = SnapshotXML.SnapDiskXML()
    disk.xml = ElementTree.tostring(element, encoding="unicode")
    fields = {name: _get(disk, name) for name in DISK_ATTRS}
    fields["driver"] = _get(disk, "driver")
    source = _get(disk, "source")
    fields["source"] = _get(source, "attrs") if source is not None else None
    return fields


def _build_disk(fields: dict[str, Any]) -> Any:
    disk = SnapshotXML.SnapDiskXML()
    for name in DISK_ATTRS:
        if fields[name] is not None:
            setattr(disk, name, fields[name])
    if fields["driver"] is not None:
        disk.driver = fields["driver"]
    if fields["source"] is not None:
        source = disk.new_disk_source(attrs=fields["source"])
        disk.source = source
    return disk


def run(request: dict[str, Any]) -> dict[str, Any]:
    text = request["xml"]
    try:
        parse_xml(text)
    except XmlError as exc:  # never hand the library a document the harness deems unsafe
        if "DOCTYPE" in str(exc):
            return _reject(f"adapter: not given to the library: {exc}")
    parsed = SnapshotXML()
    try:
        parsed.xml = text
    except (OSError, ElementTree.ParseError) as exc:
        # XMLTreeFile.__init__ turns expat.ExpatError into IOError, but ElementTree raises
        # its own ParseError (a SyntaxError), which passes through uncaught
        return _reject(f"SnapshotXML: {type(exc).__name__}: {exc}")
    if not parsed.validates:
        return _reject("SnapshotXML.validates is False (virt-xml-validate)")

    fields = {name: _get(parsed, name) for name in TOP_TEXT + MEMORY}
    disks = [_read_disk(e) for e in parsed.xmltreefile.findall("disks/disk")]

    built = SnapshotXML()
    for name, value in fields.items():
        if value is not None:
            setattr(built, name, value)
    built.set_disks([_build_disk(d) for d in disks])
    return {"outcome": "accepted", "xml": str(built)}
