"""A correct XML model that is not libvirt's formatter: it writes the children of
``<domainsnapshot>`` in reverse order, and its rejections carry no error code and always
the kind ``invalid``. It decides what to accept as libvirt 9.0 does (through the
reference), so it must pass the model class and fail the libvirt-format class."""

from __future__ import annotations

from typing import Any

from lxml import etree

from harness.reference import libvirt_9_0_qemu


def identify() -> dict[str, Any]:
    wire = dict(libvirt_9_0_qemu.identify())
    wire.update(name="reordered-model", levels=["syntax"], operations=["parse"])
    wire["classes"] = ["model", "libvirt-format"]
    return wire


def run(request: dict[str, Any]) -> dict[str, Any]:
    answer = libvirt_9_0_qemu.run(request)
    if answer["outcome"] == "rejected":
        return {"outcome": "rejected", "kind": "invalid", "message": answer["message"]}
    root = etree.fromstring(answer["xml"].encode())
    children = list(root)
    for child in children:
        root.remove(child)
    root.extend(reversed(children))
    return {"outcome": "accepted", "xml": etree.tostring(root, encoding="unicode")}
