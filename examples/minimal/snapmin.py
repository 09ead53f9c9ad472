"""snapmin: a minimal outside implementation of snapconform's contract (syntax level only).

It knows libvirt 9.0's rules for <memory> and nothing about <disks> beyond copying them,
which is exactly what its known-failures file says. Standard library only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

ORDER = ["name", "description", "state", "parent", "creationTime", "memory", "disks", "domain"]
OFFLINE_STATES = {"shutoff", "disk-snapshot"}


def identify() -> dict[str, Any]:
    return {
        "contract": "1",
        "name": "snapmin",
        "version": "0.1",
        "levels": ["syntax"],
        "operations": ["parse"],
        "profile": "libvirt-9.0-qemu",
        "details": {},
    }


def _reject(message: str, code: str = "VIR_ERR_XML_ERROR") -> dict[str, Any]:
    return {"outcome": "rejected", "kind": "invalid", "code": code, "message": message}


def run(request: dict[str, Any]) -> dict[str, Any]:
    if "<!DOCTYPE" in request["xml"]:
        return _reject("DOCTYPE not accepted", "VIR_ERR_XML_DETAIL")
    try:
        root = ET.fromstring(request["xml"])
    except ET.ParseError as exc:
        return _reject(f"malformed document: {exc}", "VIR_ERR_XML_DETAIL")
    if root.tag != "domainsnapshot":
        return _reject(f"expecting root element of 'domainsnapshot', not '{root.tag}'")
    state = root.findtext("state")
    memory = root.find("memory")
    if memory is None:
        memory = ET.SubElement(root, "memory")
    mode, file = memory.get("snapshot"), memory.get("file")
    if mode == "manual":
        return _reject("'manual' memory snapshot mode not supported")
    if mode is not None and mode not in ("no", "internal", "external"):
        return _reject(f"Invalid value for attribute 'snapshot' in element 'memory': '{mode}'.")
    if mode is None:
        mode = "external" if file is not None else ("no" if state in OFFLINE_STATES else "internal")
    if file is not None and mode != "external":
        return _reject(f"memory filename '{file}' requires external snapshot")
    if mode == "external" and file is None:
        return _reject("external memory snapshots require a filename")
    if state in OFFLINE_STATES and mode != "no":
        return _reject("memory state cannot be saved with offline or disk-only snapshot")
    if file is not None and not file.startswith("/"):
        return _reject(f"memory snapshot file path ({file}) must be absolute")
    memory.attrib.clear()
    memory.set("snapshot", mode)
    if file is not None:
        memory.set("file", file)
    out = ET.Element("domainsnapshot")
    for tag in ORDER:
        for child in root.findall(tag):
            out.append(child)
    return {"outcome": "accepted", "xml": ET.tostring(out, encoding="unicode")}
