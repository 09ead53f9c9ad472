"""Binding-shaped mutants: the real ``libvirt`` binding, wrong in one rule of what it returns.

Each mutant is a module that stands in for the binding as a whole (everything of the real
``libvirt`` module, with ``open()`` wrapped) and breaks one rule in what the snapshot calls
return: the XML of every snapshot view (the object ``snapshotCreateXML()`` returns,
``snapshotLookupByName()``, ``snapshotCurrent()``, ``listAllSnapshots()``), or the error a
refused request raises (reported with another code and kind), or a refusal of a request
libvirt carried out. Reach one as
``python-libvirt:harness.mutants.bindings.<mutant_id>@URI`` (``-`` in the id as ``_``).

The modules under ``harness.mutants.bindings`` are made on import from :data:`MUTANTS`;
importing one needs the ``libvirt`` binding.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from harness.contract import ERROR_CODE_KINDS, RejectionKind
from harness.mutants import reference as ref
from harness.xmlsafe import parse_xml, to_string

PACKAGE = "harness.mutants.bindings"

#: libvirt's snapshot creation flag bits (include/libvirt/libvirt-domain-snapshot.h)
REDEFINE, NO_METADATA, HALT, DISK_ONLY, ATOMIC, LIVE = 1, 4, 8, 16, 128, 256


@dataclass(frozen=True)
class Request:
    """What ``snapshotCreateXML()`` was asked."""

    xml: etree._Element
    flags: int

    def has(self, bit: int) -> bool:
        return bool(self.flags & bit)

    def memory(self) -> etree._Element | None:
        return self.xml.find("memory")

    def disk(self, name: str) -> etree._Element | None:
        return next((d for d in self.xml.iterfind("disks/disk") if d.get("name") == name), None)

    def listed(self) -> set[str]:
        return {str(d.get("name")) for d in self.xml.iterfind("disks/disk")}


#: alter the output XML in place, knowing the request
Transform = Callable[[Request, etree._Element], None]
#: a refusal to raise after libvirt carried out the request: (code name, message) or None
Refusal = Callable[[Request, etree._Element], tuple[str, str] | None]


@dataclass(frozen=True)
class BindingMutant:
    id: str
    rule: str
    what: str
    #: misreport a refusal whose message contains one of these texts
    misreport: Sequence[str] = ()
    transform: Transform | None = None
    refuse: Refusal | None = None


MUTANTS: dict[str, BindingMutant] = {}


def _add(m: BindingMutant) -> None:
    assert m.id not in MUTANTS, m.id
    MUTANTS[m.id] = m


def misreport(rule: str, *texts: str) -> None:
    _add(
        BindingMutant(
            rule, rule, f"reports the refusal {texts[0]!r} with another code and kind", texts
        )
    )


def transform(rule: str, what: str, fn: Transform) -> None:
    _add(BindingMutant(rule, rule, what, transform=fn))


def refuse(rule: str, what: str, fn: Refusal) -> None:
    _add(BindingMutant(rule, rule, what, refuse=fn))


def _drop(el: etree._Element, name: str) -> None:
    if name in el.attrib:
        del el.attrib[name]


# ---------------------------------------------------------------------- helpers


def _disks(out: etree._Element) -> list[etree._Element]:
    return list(out.iterfind("disks/disk"))


def _domain_disks(out: etree._Element) -> dict[str, etree._Element]:
    found = {}
    for disk in out.iterfind("domain/devices/disk"):
        target = disk.find("target")
        if target is not None and target.get("dev"):
            found[str(target.get("dev"))] = disk
    return found


def _flip(mode: str | None) -> str:
    return {"internal": "no", "no": "internal", "external": "internal"}.get(mode or "", "no")


def _set_state(out: etree._Element, state: str) -> None:
    node = out.find("state")
    if node is not None:
        node.text = state


def _state(out: etree._Element) -> str | None:
    return out.findtext("state")


def _refusal(code: str, message: str) -> Refusal:
    def fn(req: Request, out: etree._Element) -> tuple[str, str] | None:
        return code, message

    return fn


def _when(cond: Callable[[Request, etree._Element], bool], message: str) -> Refusal:
    def fn(req: Request, out: etree._Element) -> tuple[str, str] | None:
        return ("VIR_ERR_CONFIG_UNSUPPORTED", message) if cond(req, out) else None

    return fn


# ---------------------------------------------------------------------- rejection rules

_OWN_MISREPORTS = {
    "parse-root-domainsnapshot": ("expecting root element",),
    "parse-malformed": ("not well-formed", "(domain_snapshot)"),
    "align-unknown-name": ("no disk named",),
    "qemu-quiesce-needs-agent": ("guest agent is not configured", "domain is not running"),
    "test-manual-refused": ("'manual' snapshot mode",),
    "test-unsupported-flags": ("unsupported flags",),
    "redefine-domain-required": ("missing domain in snapshot",),
}
for _rule, _texts in _OWN_MISREPORTS.items():
    misreport(_rule, *_texts)
for _m in ref.MUTANTS.values():
    if _m.suppressed is not None and _m.rule not in MUTANTS:
        misreport(_m.rule, _m.suppressed)

# ---------------------------------------------------------------------- parse


def _file_means_no(req: Request, out: etree._Element) -> None:
    asked, memory = req.memory(), out.find("memory")
    if (asked is not None and asked.get("file") and asked.get("snapshot") is None) and (
        memory is not None
    ):
        memory.set("snapshot", "no")
        _drop(memory, "file")


transform(
    "parse-memory-file-implies-external", "reads <memory file> as memory 'no'", _file_means_no
)


def _empty_memory_flipped(req: Request, out: etree._Element) -> None:
    asked, memory = req.memory(), out.find("memory")
    if asked is not None and not asked.attrib and memory is not None:
        memory.set("snapshot", _flip(memory.get("snapshot")))


transform("parse-memory-empty-element", "reads <memory/> as the other mode", _empty_memory_flipped)


def _absent_flipped(req: Request, out: etree._Element) -> None:
    memory = out.find("memory")
    if req.has(REDEFINE) and req.memory() is None and memory is not None:
        memory.set("snapshot", _flip(memory.get("snapshot")))


transform(
    "parse-memory-absent-follows-state",
    "gives a redefined snapshot without <memory> the opposite mode",
    _absent_flipped,
)


def _round_trip(req: Request, out: etree._Element) -> None:
    memory = out.find("memory")
    if memory is not None and memory.get("snapshot") == "internal":
        memory.set("snapshot", "no")
    if memory is not None:
        _drop(memory, "file")


transform("parse-memory-round-trip", "shows internal memory as 'no', without a file", _round_trip)


def _no_running(req: Request, out: etree._Element) -> None:
    memory = out.find("memory")
    if (req.has(REDEFINE) and memory is not None and memory.get("snapshot") == "no") and (
        _state(out) == "running"
    ):
        memory.set("snapshot", "internal")


transform(
    "parse-memory-no-running-kept",
    "shows memory 'no' of a running snapshot as internal",
    _no_running,
)


def _manual_as_no(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        if disk.get("snapshot") == "manual":
            disk.set("snapshot", "no")


transform("parse-disk-manual", "shows a 'manual' disk as 'no'", _manual_as_no)


def _source_no_mode(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        asked = req.disk(str(disk.get("name")))
        if (
            asked is not None
            and asked.get("snapshot") is None
            and disk.get("snapshot") == "external"
        ):
            disk.attrib.pop("snapshot")


transform(
    "parse-disk-source-implies-external",
    "shows a disk with a source but no mode without a mode",
    _source_no_mode,
)


def _block_source_lost(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        source = disk.find("source")
        if disk.get("type") == "block" and source is not None:
            disk.remove(source)


transform("parse-disk-block-source", "drops the source of a block disk", _block_source_lost)


def _no_drops_driver(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        driver = disk.find("driver")
        if disk.get("snapshot") == "no" and driver is not None:
            disk.remove(driver)


transform(
    "parse-disk-no-with-driver", "drops the driver of a disk with snapshot 'no'", _no_drops_driver
)
refuse(
    "parse-disk-raw-driver",
    "refuses an external disk with driver format raw",
    lambda req, out: (
        ("VIR_ERR_CONFIG_UNSUPPORTED", "unknown disk snapshot driver 'raw'")
        if any(d.get("type") == "raw" for d in req.xml.iterfind("disks/disk/driver"))
        else None
    ),
)


def _memory_first(req: Request, out: etree._Element) -> None:
    memory = out.find("memory")
    if memory is not None:
        out.remove(memory)
        out.insert(0, memory)
    parent = out.find("parent")
    if parent is not None:
        out.remove(parent)
        out.append(parent)


transform("format-element-order", "shows <memory> first and <parent> last", _memory_first)


def _markup_dropped(req: Request, out: etree._Element) -> None:
    node = out.find("description")
    if node is not None and node.text:
        node.text = "".join(c for c in node.text if c not in "<>&\"'")


transform(
    "format-description-escaped", "drops markup characters of the description", _markup_dropped
)


def _no_type(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        _drop(disk, "type")


transform("format-disk-type-attribute", "shows no disk type attribute", _no_type)

# ---------------------------------------------------------------------- alignment


def _path_names(req: Request, out: etree._Element) -> None:
    doms = _domain_disks(out)
    for disk in _disks(out):
        dom = doms.get(str(disk.get("name")))
        source = dom.find("source") if dom is not None else None
        path = source.get("file") if source is not None else None
        if path and path in req.listed():
            disk.set("name", path)


transform("align-source-path-name", "shows a disk named by its path under that path", _path_names)


def _nomode_flipped(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        asked = req.disk(str(disk.get("name")))
        if asked is not None and not set(asked.attrib.keys()) - {"name"} and not len(asked):
            disk.set("snapshot", "no" if disk.get("snapshot") == "internal" else "internal")
            for child in list(disk):
                disk.remove(child)


transform(
    "align-listed-nomode-default",
    "gives a listed disk without a mode another mode",
    _nomode_flipped,
)


def _nomode_domain(req: Request, out: etree._Element) -> None:
    doms = _domain_disks(out)
    for disk in _disks(out):
        asked, dom = req.disk(str(disk.get("name"))), doms.get(str(disk.get("name")))
        if (asked is not None and asked.get("snapshot") is None and dom is not None) and (
            dom.get("snapshot") not in (None, "no")
        ):
            disk.set("snapshot", str(dom.get("snapshot")))


transform(
    "align-listed-nomode-ignores-domain",
    "gives a listed disk without a mode the domain's <disk snapshot>",
    _nomode_domain,
)
misreport("align-uniform-internal", "must use snapshot mode 'internal'")


def _unlisted_flipped(req: Request, out: etree._Element) -> None:
    doms = _domain_disks(out)
    for disk in _disks(out):
        name = str(disk.get("name"))
        dom = doms.get(name)
        if name not in req.listed() and dom is not None and dom.get("snapshot"):
            disk.set("snapshot", _flip(disk.get("snapshot")))


transform(
    "align-unlisted-domain-mode",
    "shows an unlisted disk with the domain's mode as another mode",
    _unlisted_flipped,
)


def _empty_internal(req: Request, out: etree._Element) -> None:
    doms = _domain_disks(out)
    for disk in _disks(out):
        dom = doms.get(str(disk.get("name")))
        if dom is not None and dom.find("source") is None:
            disk.set("snapshot", "internal")


transform("align-empty-drive-no", "shows an empty drive as internal", _empty_internal)


def _readonly_internal(req: Request, out: etree._Element) -> None:
    doms = _domain_disks(out)
    for disk in _disks(out):
        dom = doms.get(str(disk.get("name")))
        if dom is not None and dom.find("readonly") is not None and dom.find("source") is not None:
            disk.set("snapshot", "internal")


transform("align-readonly-no", "shows a read-only disk as internal", _readonly_internal)


def _reversed(req: Request, out: etree._Element) -> None:
    disks = out.find("disks")
    if disks is not None and len(disks) > 1:
        children = list(disks)
        for child in children:
            disks.remove(child)
        for child in reversed(children):
            disks.append(child)


transform("align-domain-order", "lists the disks in reverse order", _reversed)


def _renamed(asked_path: bool) -> Transform:
    def fn(req: Request, out: etree._Element) -> None:
        for disk in _disks(out):
            source = disk.find("source")
            asked = req.disk(str(disk.get("name")))
            given = asked is not None and asked.find("source") is not None
            if disk.get("snapshot") == "external" and source is not None and given == asked_path:
                source.set("file", str(source.get("file")) + ".x")

    return fn


transform("align-default-external-name", "shows another default overlay name", _renamed(False))
transform("align-explicit-path-kept", "shows another path than the one asked for", _renamed(True))
refuse(
    "align-empty-disks-element",
    "refuses an empty <disks/>",
    lambda req, out: (
        ("VIR_ERR_XML_ERROR", "<disks> lists no disk")
        if (d := req.xml.find("disks")) is not None and not len(d)
        else None
    ),
)


def _only_listed(req: Request, out: etree._Element) -> None:
    disks = out.find("disks")
    if disks is None:
        return
    for disk in list(disks):
        if disk.get("name") not in req.listed():
            disks.remove(disk)
    if not len(disks):
        out.remove(disks)


transform("align-every-disk-listed", "shows only the disks the request named", _only_listed)


def _unlisted_no_named(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        name = disk.get("name")
        if req.has(DISK_ONLY) and name not in req.listed() and disk.get("snapshot") == "external":
            for child in list(disk):
                disk.remove(child)
            _drop(disk, "type")
            disk.set("snapshot", "no")


transform(
    "align-unlisted-diskonly-external",
    "shows unlisted disks of a --disk-only snapshot as 'no'",
    _unlisted_no_named,
)


def _overlay_format(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        driver = disk.find("driver")
        if (
            disk.get("snapshot") == "external"
            and driver is not None
            and driver.get("type") == "qcow2"
        ):
            driver.set("type", "raw")


transform("qemu-external-overlay-qcow2", "shows external overlays as raw", _overlay_format)

# ---------------------------------------------------------------------- create


def _memory_is(out: etree._Element, mode: str) -> bool:
    memory = out.find("memory")
    return memory is not None and memory.get("snapshot") == mode


def _set_memory(out: etree._Element, mode: str) -> None:
    memory = out.find("memory")
    if memory is not None:
        memory.set("snapshot", mode)


def _default_active_no(req: Request, out: etree._Element) -> None:
    asked = req.memory()
    if req.has(REDEFINE) or (asked is not None and asked.attrib):
        return
    if _state(out) in ("running", "paused") and _memory_is(out, "internal"):
        _set_memory(out, "no")


transform(
    "create-memory-default-active",
    "shows memory 'no' for an active domain's default",
    _default_active_no,
)


def _default_shutoff_internal(req: Request, out: etree._Element) -> None:
    if not req.has(REDEFINE) and _state(out) == "shutoff" and _memory_is(out, "no"):
        _set_memory(out, "internal")


transform(
    "create-memory-default-shutoff",
    "shows memory 'internal' for a shutoff domain",
    _default_shutoff_internal,
)
_SWAP = {"running": "paused", "paused": "running"}


def _state_swapped(req: Request, out: etree._Element) -> None:
    state = _state(out)
    if not req.has(REDEFINE) and state in _SWAP:
        _set_state(out, _SWAP[state])


transform(
    "create-state-recorded", "shows paused for running and running for paused", _state_swapped
)


def _description_lost(req: Request, out: etree._Element) -> None:
    node = out.find("description")
    if req.xml.find("name") is None and node is not None:
        out.remove(node)


transform(
    "create-generated-name", "drops the description of a snapshot without <name>", _description_lost
)


def _internal_gap(req: Request, out: etree._Element) -> None:
    if not req.has(REDEFINE) and _memory_is(out, "internal"):
        internal = [d for d in _disks(out) if d.get("snapshot") == "internal"]
        if internal:
            internal[-1].set("snapshot", "no")


transform(
    "create-memory-internal-uniform", "shows a disk of an internal snapshot as 'no'", _internal_gap
)


def _external_state(req: Request, out: etree._Element) -> None:
    state = _state(out)
    if not req.has(REDEFINE) and _memory_is(out, "external") and state in _SWAP:
        _set_state(out, _SWAP[state])


transform("create-external-memory", "shows the wrong state with external memory", _external_state)


def _disk_no_external(req: Request, out: etree._Element) -> None:
    if _memory_is(out, "external"):
        for disk in _disks(out):
            if disk.get("snapshot") == "no":
                disk.set("snapshot", "external")


transform(
    "create-external-memory-disk-no",
    "shows a disk 'no' as external beside external memory",
    _disk_no_external,
)


def _diskonly_state(req: Request, out: etree._Element) -> None:
    if _state(out) == "disk-snapshot" and not req.has(REDEFINE):
        _set_state(out, "running")


transform(
    "qemu-diskonly-active-state", "shows state running instead of disk-snapshot", _diskonly_state
)


def _shutoff_diskonly_state(req: Request, out: etree._Element) -> None:
    if req.has(DISK_ONLY) and _state(out) == "shutoff":
        _set_state(out, "disk-snapshot")


transform(
    "qemu-diskonly-shutoff-state",
    "shows state disk-snapshot for a shutoff domain",
    _shutoff_diskonly_state,
)
refuse(
    "qemu-diskonly-shutoff-internal",
    "refuses an internal disk under --disk-only on a shutoff domain",
    _when(
        lambda req, out: (
            req.has(DISK_ONLY)
            and _state(out) == "shutoff"
            and any(d.get("snapshot") == "internal" for d in _disks(out))
        ),
        "disk-only snapshots require external disks",
    ),
)
refuse(
    "qemu-offline-external-adds-disk-only",
    "refuses an external disk of a shutoff domain without --disk-only",
    _when(
        lambda req, out: (
            not req.has(DISK_ONLY)
            and _state(out) == "shutoff"
            and any(d.get("snapshot") == "external" for d in _disks(out))
        ),
        "external disks of an inactive domain need --disk-only",
    ),
)
refuse(
    "qemu-manual-disk-external-memory",
    "refuses a 'manual' disk beside external memory",
    _when(
        lambda req, out: (
            _memory_is(out, "external") and any(d.get("snapshot") == "manual" for d in _disks(out))
        ),
        "'manual' disks are not supported",
    ),
)


def _flag(bit: int, name: str) -> Refusal:
    def fn(req: Request, out: etree._Element) -> tuple[str, str] | None:
        return (
            ("VIR_ERR_OPERATION_UNSUPPORTED", f"--{name} is not supported")
            if req.has(bit)
            else None
        )

    return fn


refuse("qemu-live-external-memory", "refuses --live", _flag(LIVE, "live"))
refuse("qemu-halt-shuts-off", "refuses --halt", _flag(HALT, "halt"))
refuse("create-atomic-accepted", "refuses --atomic", _flag(ATOMIC, "atomic"))
refuse("qemu-no-metadata-unstored", "refuses --no-metadata", _flag(NO_METADATA, "no-metadata"))


def _requested_memory(req: Request, out: etree._Element) -> None:
    asked = req.memory()
    if not req.has(REDEFINE) and asked is not None and asked.get("snapshot") in ("no", "internal"):
        _set_memory(out, str(asked.get("snapshot")))


transform(
    "test-memory-from-state", "shows the memory mode the request asked for", _requested_memory
)
refuse(
    "test-no-offline-parse",
    "refuses internal or external memory on a shutoff domain, as qemu does",
    lambda req, out: (
        ("VIR_ERR_XML_ERROR", "memory state cannot be saved with offline or disk-only snapshot")
        if not req.has(REDEFINE) and _state(out) == "shutoff" and not _memory_is(out, "no")
        else None
    ),
)


def _mixed(req: Request, out: etree._Element) -> bool:
    modes = {d.get("snapshot") for d in _disks(out)}
    memory = out.find("memory")
    mode = memory.get("snapshot") if memory is not None else None
    doms = _domain_disks(out)
    raw_internal = any(
        d.get("snapshot") == "internal"
        and (drv := doms.get(str(d.get("name")), etree.Element("x")).find("driver")) is not None
        and drv.get("type") == "raw"
        for d in _disks(out)
    )
    return (
        {"internal", "external"} <= modes
        or (mode == "internal" and "external" in modes)
        or (mode == "external" and "internal" in modes)
        or (mode == "internal" and "no" in modes)
        or raw_internal
    )


refuse(
    "test-no-prepare",
    "runs qemu's checks after alignment",
    _when(
        lambda req, out: not req.has(REDEFINE) and _mixed(req, out),
        "mixing internal and external targets",
    ),
)


def _domain_dropped(req: Request, out: etree._Element) -> None:
    node = out.find("domain")
    if req.has(REDEFINE) and req.xml.find("domain") is None and node is not None:
        out.remove(node)


transform(
    "redefine-existing-keeps-domain",
    "drops the domain of a snapshot redefined without <domain>",
    _domain_dropped,
)


def _redefine_flipped(req: Request, out: etree._Element) -> None:
    if req.has(REDEFINE):
        for disk in _disks(out):
            mode = disk.get("snapshot")
            if mode in ("internal", "external"):
                disk.set("snapshot", "external" if mode == "internal" else "internal")


transform(
    "redefine-default-from-document",
    "shows redefined disks with the other default",
    _redefine_flipped,
)

# ---------------------------------------------------------------------- the wrapper


def _misreported(libvirt: Any, error: Any) -> Any:
    """The same refusal with another code, of the other kind."""
    name = next(
        (n for n in ERROR_CODE_KINDS if getattr(libvirt, n, None) == error.get_error_code()), None
    )
    kind = ERROR_CODE_KINDS.get(name) if name else None
    other = (
        "VIR_ERR_XML_ERROR" if kind is RejectionKind.UNSUPPORTED else "VIR_ERR_CONFIG_UNSUPPORTED"
    )
    return _error(libvirt, other, str(error.get_error_message() or error))


def _error(libvirt: Any, code: str, message: str) -> Any:
    number = int(getattr(libvirt, code))

    class MutantError(libvirt.libvirtError):  # type: ignore[misc]
        def get_error_code(self) -> int:
            return number

        def get_error_message(self) -> str:
            return message

    return MutantError(message)


class _Snapshot:
    def __init__(self, real: Any, owner: _Binding, request: Request | None) -> None:
        self._real, self._owner, self._request = real, owner, request

    def getXMLDesc(self, flags: int = 0) -> str:
        text = str(self._real.getXMLDesc(flags))
        fn = self._owner.mutant.transform
        if fn is None or self._request is None:
            return text
        root = parse_xml(text, what="libvirt's snapshot XML")
        fn(self._request, root)
        return to_string(root)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Domain:
    def __init__(self, real: Any, owner: _Binding) -> None:
        self._real, self._owner = real, owner

    def _wrap(self, snap: Any) -> _Snapshot | None:
        if snap is None:
            return None
        key = (str(self._real.UUIDString()), str(snap.getName()))
        return _Snapshot(snap, self._owner, self._owner.requests.get(key))

    def snapshotCreateXML(self, xml: str, flags: int = 0) -> Any:
        owner, libvirt = self._owner, self._owner.libvirt
        try:
            snap = self._real.snapshotCreateXML(xml, flags)
        except libvirt.libvirtError as error:
            message = str(error.get_error_message() or error)
            if any(text in message for text in owner.mutant.misreport):
                raise _misreported(libvirt, error) from None
            raise
        try:
            request = Request(parse_xml(xml, what="request"), flags)
        except ValueError:
            return self._wrap(snap)
        if snap is not None:
            owner.requests[(str(self._real.UUIDString()), str(snap.getName()))] = request
        refusal = owner.mutant.refuse
        if refusal is not None and snap is not None:
            try:
                out = parse_xml(str(snap.getXMLDesc(0)), what="libvirt's snapshot XML")
            except libvirt.libvirtError:
                out = etree.Element("domainsnapshot")
            found = refusal(request, out)
            if found is not None:
                raise _error(libvirt, *found)
        return self._wrap(snap)

    def snapshotLookupByName(self, name: str, flags: int = 0) -> Any:
        return self._wrap(self._real.snapshotLookupByName(name, flags))

    def snapshotCurrent(self, flags: int = 0) -> Any:
        return self._wrap(self._real.snapshotCurrent(flags))

    def listAllSnapshots(self, flags: int = 0) -> list[Any]:
        return [self._wrap(s) for s in self._real.listAllSnapshots(flags)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Connection:
    def __init__(self, real: Any, owner: _Binding) -> None:
        self._real, self._owner = real, owner

    def lookupByUUIDString(self, uuid: str) -> _Domain:
        return _Domain(self._real.lookupByUUIDString(uuid), self._owner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Binding:
    def __init__(self, mutant: BindingMutant, libvirt: Any) -> None:
        self.mutant, self.libvirt = mutant, libvirt
        #: (domain uuid, snapshot name) -> the request that made it
        self.requests: dict[tuple[str, str], Request] = {}

    def open(self, uri: str) -> _Connection:
        return _Connection(self.libvirt.open(uri), self)


def module_name(mutant_id: str) -> str:
    return f"{PACKAGE}.{mutant_id.replace('-', '_')}"


def connectable(mutant_id: str, uri: str) -> str:
    return f"python-libvirt:{module_name(mutant_id)}@{uri}"


def make_module(mutant: BindingMutant) -> types.ModuleType:
    libvirt = importlib.import_module("libvirt")

    module = types.ModuleType(module_name(mutant.id), f"libvirt, wrong in rule {mutant.rule}")
    module.__dict__.update({k: v for k, v in vars(libvirt).items() if not k.startswith("__")})
    module.open = _Binding(mutant, libvirt).open  # type: ignore[attr-defined]
    return module


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``harness.mutants.bindings.<id>`` from :data:`MUTANTS` on import."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not fullname.startswith(PACKAGE + "."):
            return None
        mid = fullname[len(PACKAGE) + 1 :].replace("_", "-")
        if mid not in MUTANTS:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> types.ModuleType:
        mid = spec.name[len(PACKAGE) + 1 :].replace("_", "-")
        return make_module(MUTANTS[mid])

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())


# ---------------------------------------------------------------------- rules added later
# (shared with the reference mutants, which apply them to the reference's answers)
VALIDATE = 512


def _copy_children(src: etree._Element, dest: etree._Element) -> None:
    for child in src:
        dest.append(etree.fromstring(etree.tostring(child)))


def _disks_element_added(req: Request, out: etree._Element) -> None:
    if out.find("disks") is None:
        out.append(etree.Element("disks"))


def _spaces_replaced(req: Request, out: etree._Element) -> None:
    name = out.find("name")
    if name is not None and name.text and " " in name.text:
        old = name.text
        name.text = old.replace(" ", "_")
        for source in out.iterfind("disks/disk/source"):
            if source.get("file"):
                source.set("file", str(source.get("file")).replace(old, name.text))


def _active_kept(req: Request, out: etree._Element) -> None:
    active = req.xml.find("active")
    if active is not None and out.find("active") is None:
        out.append(etree.fromstring(etree.tostring(active)))


def _cookie_copied(req: Request, out: etree._Element) -> None:
    cookie = req.xml.find("cookie")
    if cookie is None:
        return
    old = out.find("cookie")
    if old is not None:
        out.remove(old)
    out.append(etree.fromstring(etree.tostring(cookie)))


def _empty_children_kept(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        asked = req.disk(str(disk.get("name")))
        if asked is None:
            continue
        for tag in ("driver", "source"):
            if (node := asked.find(tag)) is not None and not node.attrib and not len(node):
                disk.append(etree.Element(tag))


def _uuid_only_dropped(req: Request, out: etree._Element) -> None:
    asked = req.xml.find("domain")
    node = out.find("domain")
    if asked is not None and asked.get("type") is None and node is not None:
        out.remove(node)


def _embedded_domain_checked(req: Request, out: etree._Element) -> tuple[str, str] | None:
    dom = req.xml.find("domain")
    if dom is None:
        return None
    if dom.get("type") == "kvm" or dom.find("seclabel") is not None:
        return "VIR_ERR_CONFIG_UNSUPPORTED", "the embedded domain cannot be started here"
    if dom.find("devices/disk[@type='block']") is not None:
        return "VIR_ERR_OPERATION_INVALID", "the embedded domain's block device does not exist"
    return None


def _inactive_refused(req: Request, out: etree._Element) -> tuple[str, str] | None:
    if req.xml.find("inactiveDomain") is not None:
        return "VIR_ERR_XML_ERROR", "unexpected <inactiveDomain>"
    return None


def _startup_policy_kept(req: Request, out: etree._Element) -> None:
    for disk in _disks(out):
        asked = req.disk(str(disk.get("name")))
        source = asked.find("source") if asked is not None else None
        mine = disk.find("source")
        if source is not None and source.get("startupPolicy") and mine is not None:
            mine.set("startupPolicy", str(source.get("startupPolicy")))


def _redefine_only_listed(req: Request, out: etree._Element) -> None:
    if req.has(REDEFINE):
        _only_listed(req, out)


def _pmsuspended_refused(req: Request, out: etree._Element) -> tuple[str, str] | None:
    if req.has(REDEFINE) and _state(out) == "pmsuspended":
        return "VIR_ERR_OPERATION_UNSUPPORTED", "snapshots of PMSUSPENDED guests are refused"
    return None


def _validate_refused(req: Request, out: etree._Element) -> tuple[str, str] | None:
    if req.has(VALIDATE):
        return "VIR_ERR_XML_INVALID_SCHEMA", "XML document failed to validate against schema"
    return None


#: rule -> (what, transform, refusal, texts misreported)
LATER: dict[str, tuple[str, Transform | None, Refusal | None, tuple[str, ...]]] = {
    "align-external-name-needs-file": (
        "generates an overlay name for a source that is no regular file", None, None,
        ("refusing to generate external snapshot name", "external snapshot name for disk"),
    ),
    "format-absent-parts-omitted": ("formats an empty <disks/>", _disks_element_added, None, ()),
    "name-spaces-kept": ("writes a name's spaces as '_'", _spaces_replaced, None, ()),
    "parse-active-internal-only": ("keeps a redefined <active>", _active_kept, None, ()),
    "parse-cookie-driver-callbacks": ("keeps the whole <cookie>", _cookie_copied, None, ()),
    "parse-cookie-offline-dropped": ("keeps an offline <cookie>", _cookie_copied, None, ()),
    "parse-disk-empty-driver-source": (
        "keeps empty <driver/> and <source/>", _empty_children_kept, None, (),
    ),
    "parse-domain-uuid-only": ("drops a uuid-only <domain>", _uuid_only_dropped, None, ()),
    "parse-embedded-domain-definition-only": (
        "checks the embedded domain as if it were to run", None, _embedded_domain_checked, (),
    ),
    "parse-inactive-domain-accepted": ("refuses <inactiveDomain>", None, _inactive_refused, ()),
    "parse-startuppolicy-ignored": ("keeps a startupPolicy", _startup_policy_kept, None, ()),
    "redefine-aligns-to-embedded-domain": (
        "redefine lists only the disks the document names", _redefine_only_listed, None, (),
    ),
    "redefine-parent-must-exist": ("", None, None, ("for moment",)),
    "redefine-pmsuspended": (
        "swaps the drivers' answers to state pmsuspended", None, _pmsuspended_refused,
        ("PMSUSPENDED",),
    ),
    "validate-schema-passes-on": (
        "refuses every document with --validate, as the schema would",
        None,
        _validate_refused,
        ("missing domain in snapshot",),
    ),
    "validate-schema-refuses": ("", None, None, ("failed to validate against schema",)),
}  # fmt: skip
for _rule, (_what, _fn, _refuse, _texts) in LATER.items():
    MUTANTS.pop(_rule, None)
    _add(
        BindingMutant(
            _rule,
            _rule,
            _what or f"reports the refusal {_texts[0]!r} with another code and kind",
            _texts,
            _fn,
            _refuse,
        )
    )
