"""A tiny syntax-only implementation for the mini corpus: just the two <memory> rules the
mini corpus tests (file alone means external; external needs a file)."""

from __future__ import annotations

from typing import Any

from lxml import etree


def identify() -> dict[str, Any]:
    return {
        "contract": "1",
        "name": "tiny",
        "version": "1",
        "levels": ["syntax"],
        "operations": ["parse"],
        "profile": None,
        "details": {"driver": "tiny"},
    }


def run(request: dict[str, Any]) -> dict[str, Any]:
    root = etree.fromstring(request["xml"].encode())
    memory = root.find("memory")
    if memory is not None:
        file = memory.get("file")
        if file and not memory.get("snapshot"):
            memory.attrib.clear()  # libvirt emits snapshot before file
            memory.set("snapshot", "external")
            memory.set("file", file)
        if memory.get("snapshot") == "external" and not memory.get("file"):
            return {
                "outcome": "rejected",
                "kind": "invalid",
                "code": "VIR_ERR_XML_ERROR",
                "message": "XML error: external memory snapshots require a filename",
            }
    return {"outcome": "accepted", "xml": etree.tostring(root, encoding="unicode")}
