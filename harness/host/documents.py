"""Corpus documents onto the scratch domain and back.

A document that embeds a ``<domain>`` (for redefine) names the domain's UUID; the corpus
writes it as ``@UUID@``, which the harness replaces by a fresh UUID per request and passes
in ``Context.uuid`` (syntax documents carry it in their ``<domain>``). The scratch domain
has a UUID of its own (so a fixture can serve many cases, and runs, workers and other users
of the host never collide) and *plays* the request's domain: in what is sent, that UUID
becomes the scratch domain's; in what comes back (XML and messages), the scratch domain's
UUID and name become the request's again. Any other UUID (a deliberately wrong one, say)
is passed on untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from harness.contract import DiskSpec
from harness.xmlsafe import XmlError, parse_xml

_UUID_EL = re.compile(r"(<uuid>\s*)([0-9a-fA-F-]{32,36})(\s*</uuid>)")


@dataclass
class Translation:
    """How the scratch domain stands in for the request's domain."""

    ours_uuid: str
    ours_name: str
    theirs_uuid: str | None = None
    theirs_name: str | None = None

    def to_host(self, xml: str) -> str:
        """``xml`` with the request's domain UUID, in <uuid> elements, made ours."""
        theirs = self.theirs_uuid
        if not theirs:
            return xml

        def swap(m: re.Match[str]) -> str:
            if m.group(2).lower() == theirs.lower():
                return m.group(1) + self.ours_uuid + m.group(3)
            return m.group(0)

        return _UUID_EL.sub(swap, xml)

    def from_host(self, text: str) -> str:
        if self.theirs_uuid:
            text = text.replace(self.ours_uuid, self.theirs_uuid)
        if self.theirs_name:
            text = text.replace(
                f"<name>{self.ours_name}</name>", f"<name>{self.theirs_name}</name>"
            )
        return text


def embedded_domain_name(xml: str) -> str | None:
    m = re.search(r"<domain\b[^>]*>\s*<name>([^<]+)</name>", xml)
    return m.group(1) if m else None


@dataclass(frozen=True)
class ParsePlan:
    """How a syntax-level ``parse`` is done: redefine on a shut-off scratch domain."""

    disks: tuple[DiskSpec, ...]
    doc_uuid: str | None  # the embedded domain's UUID (mapped onto the scratch domain)
    doc_name: str | None
    #: the document has no domain definition (no <domain>, or one holding only a <uuid>,
    #: which libvirt's parser reads as none): embed the scratch domain's for the redefine,
    #: then take out of the answer what that domain brought in
    embed: bool
    #: the document's own uuid-only <domain>, put back in the answer
    stub: str | None = None


_BUS_BY_PREFIX = {"vd": "virtio", "sd": "scsi", "hd": "ide", "xv": "xen"}


def _disks_of_domain(dom: etree._Element) -> tuple[DiskSpec, ...]:
    disks: list[DiskSpec] = []
    for disk in dom.iterfind("devices/disk"):
        target = disk.find("target")
        if target is None or not target.get("dev"):
            continue
        driver = disk.find("driver")
        source = disk.find("source")
        path = None
        if source is not None:
            path = source.get("file") or source.get("dev") or source.get("dir")
        disks.append(
            DiskSpec(
                target=str(target.get("dev")),
                source=path,
                format=(driver.get("type") if driver is not None else None) or "raw",
                device=disk.get("device", "disk"),
                bus=target.get("bus") or _BUS_BY_PREFIX.get(str(target.get("dev"))[:2], "virtio"),
                type=disk.get("type", "file"),
                readonly=disk.find("readonly") is not None,
                snapshot=disk.get("snapshot"),
            )
        )
    return tuple(disks)


def _disks_of_snapshot(root: etree._Element, scratch: str) -> tuple[DiskSpec, ...]:
    disks: list[DiskSpec] = []
    for disk in root.iterfind("disks/disk"):
        name = disk.get("name") or ""
        bus = _BUS_BY_PREFIX.get(name[:2])
        if bus is None or not re.fullmatch(r"[a-z]+", name):
            continue
        if name not in {d.target for d in disks}:
            disks.append(DiskSpec(target=name, source=f"{scratch}/{name}.qcow2", bus=bus))
    return tuple(disks) or (DiskSpec(target="vda", source=f"{scratch}/vda.qcow2"),)


def parse_plan(xml: str, scratch: str) -> ParsePlan:
    """The scratch domain a document's redefine needs. Documents that do not parse (or
    have another root) go to libvirt as they are, on a one-disk domain, for its verdict."""
    default = (DiskSpec(target="vda", source=f"{scratch}/vda.qcow2"),)
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return ParsePlan(default, None, None, embed=False)
    if root.tag != "domainsnapshot":
        return ParsePlan(default, None, None, embed=False)
    dom = root.find("domain")
    if dom is None:
        return ParsePlan(_disks_of_snapshot(root, scratch), None, None, embed=True)
    uuid = (dom.findtext("uuid") or "").strip() or None
    if uuid_only(dom):
        stub = etree.tostring(dom, encoding="unicode", with_tail=False)
        return ParsePlan(_disks_of_snapshot(root, scratch), uuid, None, embed=True, stub=stub)
    name = (dom.findtext("name") or "").strip() or None
    return ParsePlan(_disks_of_domain(dom) or default, uuid, name, embed=False)


def uuid_only(dom: etree._Element) -> bool:
    """A ``<domain>`` without ``type`` holding only a ``<uuid>`` (old metadata's form)."""
    children = [c for c in dom if isinstance(c.tag, str)]
    return dom.get("type") is None and [c.tag for c in children] == ["uuid"]


def embed_domain(xml: str, domain_xml: str) -> str:
    """The document with the domain definition as its ``<domain>`` (a uuid-only one is
    replaced)."""
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return xml
    for el in root.findall("domain"):
        root.remove(el)
    root.append(parse_xml(domain_xml, what="domain XML"))
    return etree.tostring(root, encoding="unicode")


def _listed_disks(xml: str) -> set[str]:
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return set()
    return {str(d.get("name")) for d in root.iterfind("disks/disk") if d.get("name")}


def strip_domain(xml: str, request_xml: str, stub: str | None = None) -> str:
    """The answer without what the embedded scratch domain brought in: its ``<domain>``
    and ``<inactiveDomain>``, and the ``<disk>`` entries redefine aligned to its disks that
    the request never listed (an empty ``<disks>`` goes too). ``stub``, the request's own
    uuid-only ``<domain>``, takes the removed domain's place."""
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return xml
    for tag in ("domain", "inactiveDomain"):
        for el in root.findall(tag):
            root.remove(el)
    listed = _listed_disks(request_xml)
    for disks in root.findall("disks"):
        for disk in disks.findall("disk"):
            if disk.get("name") not in listed:
                disks.remove(disk)
        if not len(disks):
            root.remove(disks)
    if stub is not None:
        root.append(parse_xml(stub, what="domain XML"))
    return etree.tostring(root, encoding="unicode")


def snapshot_name(xml: str) -> str | None:
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return None
    name = root.findtext("name")
    return name if name else None


def parent_stub(xml: str) -> str | None:
    """For a document naming a ``<parent>``: the same document under the parent's name and
    without ``<parent>`` (redefine needs the parent to exist; a parser does not)."""
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return None
    parent = root.find("parent")
    name = root.find("name")
    wanted = parent.findtext("name") if parent is not None else None
    if parent is None or not wanted or name is None or wanted == name.text:
        return None
    root.remove(parent)
    name.text = wanted
    return etree.tostring(root, encoding="unicode")
