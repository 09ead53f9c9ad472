"""Writer-only fakes for tests/test_writer.py: ``right`` writes what nova's volume-snapshot
inputs mean (lxml, no nova); the others each get one thing of that meaning wrong."""

from __future__ import annotations

from typing import Any

from lxml import etree


def _doc(inputs: dict[str, Any], mode: str | None = None, source: str | None = None) -> str:
    root = etree.Element("domainsnapshot")
    if inputs.get("name"):
        etree.SubElement(root, "name").text = inputs["name"]
    disks = etree.SubElement(root, "disks")
    for d in inputs.get("disks", []):
        disk = etree.SubElement(disks, "disk", name=d["name"])
        snapshot = d.get("snapshot")
        if snapshot == "external" and mode is not None:
            snapshot = mode
        if snapshot:
            disk.set("snapshot", snapshot)
        if d.get("source_path") and snapshot == "external":
            disk.set("type", "file")
            etree.SubElement(disk, "source", file=source or d["source_path"])
    return etree.tostring(root, encoding="unicode")


def identify() -> dict[str, Any]:
    return {"name": "fake writer", "version": "0", "classes": ["writer"]}


def right(inputs: dict[str, Any]) -> str:
    return _doc(inputs)


def internal(inputs: dict[str, Any]) -> str:
    """Writes an internal snapshot where an external one to the new file was meant."""
    return _doc(inputs, mode="internal")


def elsewhere(inputs: dict[str, Any]) -> str:
    """Writes the overlay to another file than the one meant."""
    first = next(d["source_path"] for d in inputs["disks"] if d.get("source_path"))
    return _doc(inputs, source=first + ".elsewhere")
