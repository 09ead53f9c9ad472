"""What libvirt's ``domainsnapshot.rng`` (9.0.0) says of a snapshot document.

libvirt applies the schema only with ``VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE`` (virsh
``--validate``), before any of its C checks. When libvirt's schema is installed
(:data:`SCHEMA_PATH`), it is read at run time and applied with libxml2's RELAX NG validator,
as libvirt itself does, and the error lists libxml2's messages as libvirt's does. Without
it, a hand-written check of the snapshot part of the 9.0.0 schema stands in: the embedded
``<domain>`` is accepted when it has a ``type`` (the full domain grammar is out of scope)
or holds just a ``<uuid>``, and a network ``<source>`` is checked only for its protocol and
the names of its children.
"""

from __future__ import annotations

import functools
import os
import re

from lxml import etree

from .errors import fail

SCHEMA_PATH = "/usr/share/libvirt/schemas/domainsnapshot.rng"

_ABS_FILE_PATH = re.compile(r"(/|[a-zA-Z]:\\)[^\n\r]+")
_DISK_TARGET = re.compile(r"(ioemu:)?(fd|hd|sd|vd|xvd|ubd)[a-zA-Z0-9_]+")
_UUID = re.compile(r"[a-fA-F0-9]{32}|[a-fA-F0-9]{8}-([a-fA-F0-9]{4}-){3}[a-fA-F0-9]{12}")
_STATES = ("running", "blocked", "paused", "shutdown", "shutoff", "crashed", "disk-snapshot")
_BACKING_FORMATS = ("cow", "qcow", "qcow2", "qed", "vmdk")
_TOP = (
    "name", "description", "state", "creationTime", "memory", "disks", "active", "domain",
    "inactiveDomain", "parent", "cookie",
)  # fmt: skip


class _Invalid(Exception):
    pass


def _bad(detail: str) -> _Invalid:
    return _Invalid(detail)


#: children a network ``<source>`` may have (``diskSourceNetwork*`` of domaincommon.rng)
_NETWORK_CHILDREN = (
    "host", "auth", "encryption", "reservations", "initiator", "snapshot", "config",
    "cookies", "readahead", "timeout", "ssl", "knownHosts", "identity", "reconnect",
    "seclabel", "privateData",
)  # fmt: skip


@functools.lru_cache(maxsize=1)
def installed_schema() -> etree.RelaxNG | None:
    """libvirt's installed schema, or None when it is not installed (or does not load)."""
    if not os.path.isfile(SCHEMA_PATH):
        return None
    try:
        return etree.RelaxNG(etree.parse(SCHEMA_PATH))
    except (OSError, etree.LxmlError):
        return None


def validate(root: etree._Element) -> None:
    """Raise libvirt's ``VIR_ERR_XML_INVALID_SCHEMA`` error when the schema refuses ``root``."""
    schema = installed_schema()
    if schema is not None:
        if schema.validate(root.getroottree()):
            return
        detail = "\n".join(e.message for e in schema.error_log) or "invalid document"
        fail(
            "VIR_ERR_XML_INVALID_SCHEMA", f"Unable to validate doc against {SCHEMA_PATH}\n{detail}"
        )
    try:
        _check_root(root)
    except _Invalid as exc:
        fail("VIR_ERR_XML_INVALID_SCHEMA", f"Unable to validate doc against {SCHEMA_PATH}\n{exc}")


def _elements(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str)]


def _text_only(node: etree._Element) -> str:
    if _elements(node):
        raise _bad(f"Element {node.tag} has extra content: {_elements(node)[0].tag}")
    return node.text or ""


def _no_attributes(node: etree._Element, allowed: tuple[str, ...] = ()) -> None:
    for name, _value in node.items():
        if str(name) not in allowed:
            raise _bad(f"Invalid attribute {name!s} for element {node.tag}")


def _check_root(root: etree._Element) -> None:
    if root.tag != "domainsnapshot":
        raise _bad(f"Expecting element domainsnapshot, got {root.tag}")
    _no_attributes(root)
    seen: set[str] = set()
    for child in _elements(root):
        tag = str(child.tag)
        if tag not in _TOP:
            raise _bad(f"Element domainsnapshot has extra content: {tag}")
        if tag in seen:
            raise _bad(f"Extra element {tag} in interleave")
        seen.add(tag)
        _CHECKS[tag](child)


def _check_text(node: etree._Element) -> None:
    _no_attributes(node)
    _text_only(node)


def _check_state(node: etree._Element) -> None:
    _no_attributes(node)
    if _text_only(node).strip() not in _STATES:
        raise _bad("Element state failed to validate content")


def _check_active(node: etree._Element) -> None:
    _no_attributes(node)
    if _text_only(node).strip() not in ("0", "1"):
        raise _bad("Element active failed to validate content")


def _check_memory(node: etree._Element) -> None:
    if _elements(node) or (node.text or "").strip():
        raise _bad("Element memory has extra content")
    _no_attributes(node, ("snapshot", "file"))
    mode, path = node.get("snapshot"), node.get("file")
    if mode in ("no", "internal") and path is None:
        return
    if mode in (None, "external") and path is not None and _ABS_FILE_PATH.fullmatch(path):
        return
    raise _bad("Element memory failed to validate attributes")


def _check_disks(node: etree._Element) -> None:
    _no_attributes(node)
    for disk in _elements(node):
        if disk.tag != "disk":
            raise _bad(f"Element disks has extra content: {disk.tag}")
        _check_disk(disk)


def _check_disk(disk: etree._Element) -> None:
    _no_attributes(disk, ("name", "snapshot", "type"))
    name = disk.get("name")
    if name is None or not (_DISK_TARGET.fullmatch(name) or _ABS_FILE_PATH.fullmatch(name)):
        raise _bad("Element disk failed to validate attributes")
    mode = disk.get("snapshot")
    if mode in ("no", "internal", "manual"):
        if disk.get("type") is not None or _elements(disk) or (disk.text or "").strip():
            raise _bad("Element disk failed to validate attributes")
        return
    if mode not in (None, "external"):
        raise _bad("Element disk failed to validate attributes")
    kind = disk.get("type", "file")
    if kind not in ("file", "block", "network"):
        raise _bad("Element disk failed to validate attributes")
    seen: set[str] = set()
    for child in _elements(disk):
        tag = str(child.tag)
        if tag not in ("source", "driver", "snapshotDeleteInProgress") or tag in seen:
            raise _bad(f"Element disk has extra content: {tag}")
        seen.add(tag)
        if tag == "driver":
            _check_driver(child)
        elif tag == "source":
            _check_source(child, kind)
        elif _elements(child):
            raise _bad("Element snapshotDeleteInProgress has extra content")


def _check_driver(node: etree._Element) -> None:
    _no_attributes(node, ("type",))
    if node.get("type") is not None and node.get("type") not in _BACKING_FORMATS:
        raise _bad("Element driver failed to validate attributes")
    for child in _elements(node):
        if child.tag != "metadata_cache":
            raise _bad(f"Element driver has extra content: {child.tag}")


def _check_source(node: etree._Element, kind: str) -> None:
    if kind == "network":
        if node.get("protocol") is None:
            raise _bad("Element source failed to validate attributes")
        for child in _elements(node):
            if child.tag not in _NETWORK_CHILDREN:
                raise _bad(f"Element source has extra content: {child.tag}")
        return
    attr = "file" if kind == "file" else "dev"
    path = node.get(attr)
    if kind == "block" and path is None:
        raise _bad("Element source failed to validate attributes")
    if path is not None and not _ABS_FILE_PATH.fullmatch(path):
        raise _bad("Element source failed to validate attributes")
    # storageStartupPolicy is <notAllowed/> in the snapshot schema (domain.rng allows it)
    _no_attributes(node, (attr, "index"))


def _check_domain(node: etree._Element) -> None:
    if node.get("type") is not None:
        return
    children = _elements(node)
    if len(children) != 1 or children[0].tag != "uuid":
        raise _bad("Element domain failed to validate attributes")
    if not _UUID.fullmatch(_text_only(children[0]).strip()):
        raise _bad("Element uuid failed to validate content")


def _check_parent(node: etree._Element) -> None:
    _no_attributes(node)
    children = _elements(node)
    if len(children) != 1 or children[0].tag != "name":
        raise _bad("Expecting an element name, got nothing")
    _check_text(children[0])


def _accept(node: etree._Element) -> None:
    return None


_CHECKS = {
    "name": _check_text,
    "description": _check_text,
    "state": _check_state,
    "creationTime": _check_text,
    "memory": _check_memory,
    "disks": _check_disks,
    "active": _check_active,
    "domain": _check_domain,
    "inactiveDomain": _accept,
    "parent": _check_parent,
    "cookie": _accept,
}
