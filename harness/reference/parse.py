"""Snapshot document -> :class:`SnapshotDef`, with each era's parse rules.

9.0.0 rules follow ``virDomainSnapshotDefParse`` / ``virDomainSnapshotDiskDefParseXML``
(``src/conf/snapshot_conf.c``): memory rules M1-M9 and disk rules D1-D6 of the project notes.
The seed rules follow the parser of commit 4201a7ea1c. Errors are :class:`SnapshotError`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from ..xmlsafe import XmlError, parse_xml
from . import rng
from .domain import from_element
from .errors import fail
from .model import (
    EXTERNAL,
    INTERNAL,
    MANUAL,
    NO,
    OFFLINE_STATES,
    SNAPSHOT_STATES,
    SnapshotDef,
    SnapshotDisk,
    StorageSource,
)
from .profiles import Era

#: locations a ``snapshot`` attribute may name, per era ("default" is never accepted)
_LOCATIONS = {Era.SEED: (NO, INTERNAL, EXTERNAL), Era.V9: (NO, INTERNAL, EXTERNAL, MANUAL)}

#: virStorageFileFormat names; "none" (index 0) is refused like an unknown name
_FORMATS = {
    Era.SEED: (
        "raw", "dir", "bochs", "cloop", "cow", "dmg", "iso", "qcow", "qcow2", "qed", "vmdk",
        "vpc", "fat", "vhd",
    ),
    Era.V9: (
        "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop",
        "cow", "qcow", "qcow2", "qed", "vmdk",
    ),
}  # fmt: skip

#: virStorageType names of 9.0.0 ("none" refused); the seed has no disk ``type``
_STORAGE_TYPES = ("file", "block", "dir", "network", "volume", "nvme", "vhostuser")
_NET_PROTOCOLS = (
    "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http", "https", "ftp", "ftps", "tftp",
    "ssh", "vxhs", "nfs",
)  # fmt: skip

_SCALE = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3,
    "t": 1024**4, "tib": 1024**4, "tb": 1000**4,
    "p": 1024**5, "pib": 1024**5, "pb": 1000**5,
    "e": 1024**6, "eib": 1024**6, "eb": 1000**6,
}  # fmt: skip


@dataclass(frozen=True)
class ParseOptions:
    """How a document is read (libvirt's ``VIR_DOMAIN_SNAPSHOT_PARSE_*`` flags)."""

    era: Era
    #: read it as metadata (state, creationTime, parent, domain; memory follows state)
    redefine: bool = False
    #: enforce redefine's required fields (name, creationTime, state)
    required: bool = False
    #: the domain is inactive or the request is disk-only (PARSE_OFFLINE)
    offline: bool = False
    #: validate against the RELAX NG schema first (PARSE_VALIDATE)
    validate: bool = False
    #: keep ``<cookie>`` (the QEMU driver has save-cookie callbacks, the test driver none)
    cookie: bool = False
    #: creation time to fill in on create (moment post-parse); None: leave unset
    now: int | None = None


def read_document(text: str) -> etree._Element:
    """Parse the text as libvirt's ``virXMLParse`` would, or raise its error."""
    try:
        return parse_xml(text, what="(domain_snapshot)")
    except XmlError as exc:
        detail = str(exc)
        found = re.search(r"not well-formed XML: (.*?), line (\d+), column \d+", detail)
        if found:
            detail = f"(domain_snapshot):{found.group(2)}: {found.group(1)}"
        fail("VIR_ERR_XML_DETAIL", detail)


def parse(text: str, opts: ParseOptions) -> SnapshotDef:
    root = read_document(text)
    if opts.validate:
        rng.validate(root)
    if not isinstance(root.tag, str) or etree.QName(root).localname != "domainsnapshot":
        if opts.era is Era.SEED:
            fail("VIR_ERR_XML_ERROR", "domainsnapshot")
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        fail("VIR_ERR_XML_ERROR", f"expecting root element of 'domainsnapshot', not '{found}'")
    return _Parser(opts).snapshot(root)


def _child(node: etree._Element, tag: str) -> etree._Element | None:
    return next((c for c in node if c.tag == tag), None)


def _string(node: etree._Element | None) -> str | None:
    """XPath ``string(...)`` of the first match, None when empty (``virXPathString``)."""
    if node is None:
        return None
    text = "".join(str(t) for t in node.itertext())
    return text or None


def _path_string(root: etree._Element, *steps: str) -> str | None:
    node: etree._Element | None = root
    for step in steps:
        node = _child(node, step) if node is not None else None
    return _string(node)


def _long_long(text: str | None) -> int | None:
    """``virStrToLong_ll`` over a whole string: optional blanks and sign, decimal digits."""
    if text is None:
        return None
    found = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?\d+)", text)
    if not found:
        return None
    value = int(found.group(1))
    return value if -(2**63) <= value < 2**63 else None


def _absolute(path: str) -> bool:
    return path.startswith("/")


class _Parser:
    def __init__(self, opts: ParseOptions) -> None:
        self.opts = opts
        self.seed = opts.era is Era.SEED

    # ------------------------------------------------------------------ top level

    def snapshot(self, root: etree._Element) -> SnapshotDef:
        opts = self.opts
        snap = SnapshotDef()
        offline = opts.offline
        snap.name = _path_string(root, "name")
        if snap.name is None and opts.required:
            fail("VIR_ERR_XML_ERROR", "a redefined snapshot must have a name")
        snap.description = _path_string(root, "description")

        if opts.redefine:
            self._creation_time(root, snap)
            snap.parent = _path_string(root, "parent", "name")
            self._state(root, snap)
            if snap.state is not None:
                offline = snap.state in OFFLINE_STATES
            self._domain(root, snap)
        elif opts.now is not None:
            snap.creation_time = opts.now
            if snap.name is None:
                snap.name = str(opts.now)

        if self.seed:
            self._memory_seed(root, snap, offline)
        else:
            self._memory(root, snap, offline)

        disks = _child(root, "disks")
        if disks is not None:
            snap.disks = [self._disk(node) for node in disks if isinstance(node.tag, str)]

        if opts.cookie and not offline and not self.seed:
            snap.cookie = _qemu_cookie(_child(root, "cookie"))
        return snap

    def _creation_time(self, root: etree._Element, snap: SnapshotDef) -> None:
        text = _path_string(root, "creationTime")
        value = _long_long(text)
        if value is None and (self.opts.required or text is not None):
            fail("VIR_ERR_INTERNAL_ERROR", "missing creationTime from existing snapshot")
        snap.creation_time = value

    def _state(self, root: etree._Element, snap: SnapshotDef) -> None:
        state = _path_string(root, "state")
        if state is None:
            if self.opts.required:
                fail("VIR_ERR_XML_ERROR", "missing state from existing snapshot")
            return
        # the seed accepted "nostate" (its test was "< 0"); 9.0.0 refuses it ("<= 0")
        known = SNAPSHOT_STATES if self.seed else SNAPSHOT_STATES[1:]
        if state not in known:
            code = "VIR_ERR_XML_ERROR" if self.seed else "VIR_ERR_CONFIG_UNSUPPORTED"
            fail(code, f"Invalid state '{state}' in domain snapshot XML")
        snap.state = state

    def _domain(self, root: etree._Element, snap: SnapshotDef) -> None:
        node = _child(root, "domain")
        if node is not None and node.get("type"):
            snap.domain = from_element(node)
        elif node is not None:
            snap.domain_stub = node
        if not self.seed:
            snap.inactive_domain = _child(root, "inactiveDomain")

    # ------------------------------------------------------------------ memory

    def _memory(self, root: etree._Element, snap: SnapshotDef, offline: bool) -> None:
        node = _child(root, "memory")
        if node is not None:
            snap.memory_file = node.get("file")
            snap.memory = self._location(node, "snapshot")
            if snap.memory == MANUAL:  # M2
                fail("VIR_ERR_XML_ERROR", "'manual' memory snapshot mode not supported")
        if snap.memory is None:
            if snap.memory_file is not None:  # M3
                snap.memory = EXTERNAL
            elif self.opts.redefine and snap.state is not None:  # M5
                snap.memory = NO if offline else INTERNAL
        if snap.memory_file is not None and snap.memory != EXTERNAL:  # M6
            fail(
                "VIR_ERR_XML_ERROR",
                f"memory filename '{snap.memory_file}' requires external snapshot",
            )
        if snap.memory_file is None and snap.memory == EXTERNAL:  # M7
            fail("VIR_ERR_XML_ERROR", "external memory snapshots require a filename")
        if offline and snap.memory not in (None, NO):  # M8
            fail(
                "VIR_ERR_XML_ERROR",
                "memory state cannot be saved with offline or disk-only snapshot",
            )
        if snap.memory_file is not None and not _absolute(snap.memory_file):  # M9
            fail(
                "VIR_ERR_XML_ERROR",
                f"memory snapshot file path ({snap.memory_file}) must be absolute",
            )

    def _memory_seed(self, root: etree._Element, snap: SnapshotDef, offline: bool) -> None:
        # the seed read string(./memory/@snapshot) and string(./memory/@file): the first
        # such attribute of any <memory>, an empty value counting as absent
        nodes = [c for c in root if c.tag == "memory"]
        mode = next((n.get("snapshot") for n in nodes if n.get("snapshot")), None)
        snap.memory_file = next((n.get("file") for n in nodes if n.get("file")), None)
        if mode is not None:
            if mode not in _LOCATIONS[Era.SEED]:
                fail("VIR_ERR_XML_ERROR", f"unknown memory snapshot setting '{mode}'")
            snap.memory = mode
            if snap.memory_file is not None and mode != EXTERNAL:
                fail(
                    "VIR_ERR_XML_ERROR",
                    f"memory filename '{snap.memory_file}' requires external snapshot",
                )
        elif snap.memory_file is not None:
            snap.memory = EXTERNAL
        elif self.opts.redefine and snap.state is not None:
            snap.memory = NO if offline else INTERNAL
        if offline and snap.memory not in (None, NO):
            fail("VIR_ERR_XML_ERROR", "memory state cannot be saved with offline snapshot")

    def _location(self, node: etree._Element, attr: str) -> str | None:
        """An enum attribute refused when unknown or "default" (VIR_XML_PROP_NONZERO)."""
        value = node.get(attr)
        if value is None:
            return None
        if value not in _LOCATIONS[self.opts.era]:
            self._bad_value(node, attr, value)
        return value

    @staticmethod
    def _bad_value(node: etree._Element, attr: str, value: str) -> None:
        fail(
            "VIR_ERR_XML_ERROR",
            f"Invalid value for attribute '{attr}' in element '{node.tag}': '{value}'.",
        )

    # ------------------------------------------------------------------ disks

    def _disk(self, node: etree._Element) -> SnapshotDisk:
        return self._disk_seed(node) if self.seed else self._disk_v9(node)

    def _disk_v9(self, node: etree._Element) -> SnapshotDisk:
        name = node.get("name")
        if name is None:  # D1
            fail("VIR_ERR_INTERNAL_ERROR", "missing name from disk snapshot element")
        disk = SnapshotDisk(name=name, snapshot=self._location(node, "snapshot"))  # D2
        src = disk.source
        kind = node.get("type")
        if kind is not None:  # D3
            if kind not in _STORAGE_TYPES:
                self._bad_value(node, "type", kind)
            if kind in ("volume", "dir"):
                fail("VIR_ERR_XML_ERROR", f"unsupported disk snapshot type '{kind}'")
            src.type = kind
        source = _child(node, "source")
        if source is not None:
            self._source(source, src)
        driver_type = _string_attr(_child(node, "driver"), "type")
        if driver_type is not None:  # D4
            if driver_type not in _FORMATS[Era.V9]:
                fail("VIR_ERR_CONFIG_UNSUPPORTED", f"unknown disk snapshot driver '{driver_type}'")
            src.format = driver_type
        src.metadata_cache_max = self._metadata_cache(node)
        if src.path is not None and src.type in ("file", "block") and not _absolute(src.path):
            fail("VIR_ERR_XML_ERROR", f"disk snapshot image path '{src.path}' must be absolute")
        if disk.snapshot is None and (src.path is not None or src.format is not None):  # D6
            disk.snapshot = EXTERNAL
        disk.delete_in_progress = (
            self.opts.redefine and _child(node, "snapshotDeleteInProgress") is not None
        )
        return disk

    def _source(self, node: etree._Element, src: StorageSource) -> None:
        if src.type == "file":
            src.path = node.get("file")
        elif src.type == "block":
            src.path = node.get("dev")
        elif src.type == "network":
            protocol = node.get("protocol")
            if protocol is None:
                fail(
                    "VIR_ERR_XML_ERROR", "Missing required attribute 'protocol' in element 'source'"
                )
            if protocol not in _NET_PROTOCOLS:
                self._bad_value(node, "protocol", protocol)
            src.protocol = protocol
            src.path = node.get("name")
            if src.path is None and protocol != "nbd":
                fail("VIR_ERR_XML_ERROR", "missing name for disk source")
            src.hosts = [
                {str(k): str(v) for k, v in h.attrib.items()} for h in node if h.tag == "host"
            ]
        if src.path == "":  # libvirt treats source='' as no source at all
            src.path = None
        src.extra = [copy.deepcopy(c) for c in node if c.tag == "seclabel"]

    def _metadata_cache(self, node: etree._Element) -> int | None:
        driver = _child(node, "driver")
        cache = _child(driver, "metadata_cache") if driver is not None else None
        size = _child(cache, "max_size") if cache is not None else None
        if size is None:
            return None
        text = (size.text or "").strip()
        unit = (size.get("unit") or "").lower()
        if not text.isdigit() or unit not in _SCALE:
            fail("VIR_ERR_XML_ERROR", "invalid value for './driver/metadata_cache/max_size'")
        return int(text) * _SCALE[unit]

    def _disk_seed(self, node: etree._Element) -> SnapshotDisk:
        name = node.get("name")
        if name is None:
            fail("VIR_ERR_INTERNAL_ERROR", "missing name from disk snapshot element")
        disk = SnapshotDisk(name=name)
        mode = node.get("snapshot")
        if mode is not None:
            if mode not in _LOCATIONS[Era.SEED]:
                fail("VIR_ERR_INTERNAL_ERROR", f"unknown disk snapshot setting '{mode}'")
            disk.snapshot = mode
        src = disk.source
        for child in node:
            if child.tag == "source" and src.path is None:
                src.path = child.get("file")
            elif child.tag == "driver" and src.format is None:
                driver_type = child.get("type")
                if driver_type not in _FORMATS[Era.SEED]:
                    fail("VIR_ERR_INTERNAL_ERROR", f"unknown disk snapshot driver '{driver_type}'")
                src.format = driver_type
        if disk.snapshot is None and (src.path is not None or src.format is not None):
            disk.snapshot = EXTERNAL
        return disk


def _qemu_cookie(node: etree._Element | None) -> etree._Element | None:
    """What the QEMU driver's save-cookie callbacks keep of a ``<cookie>``
    (``qemuDomainSaveCookieParse`` / ``...Format``, ``src/qemu/qemu_domain.c``): the first
    ``<cpu>`` and whether a ``<slirpHelper>`` is there; everything else is dropped."""
    if node is None:
        return None
    kept = etree.Element("cookie")
    cpu = _child(node, "cpu")
    if cpu is not None:
        kept.append(copy.deepcopy(cpu))
        kept[-1].tail = None
    if _child(node, "slirpHelper") is not None:
        etree.SubElement(kept, "slirpHelper")
    return kept


def _string_attr(node: etree._Element | None, attr: str) -> str | None:
    """``string(./node/@attr)``: None when the node or attribute is missing or empty."""
    if node is None:
        return None
    return node.get(attr) or None
