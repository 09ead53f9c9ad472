"""Mutants of the reference implementation: each one breaks one rule of the catalogue.

A mutant is the reference implementation with one change, applied only while it answers a
request (so mutants share a process safely, one call at a time). Reach one as
``python:harness.mutants.reference:<profile>__<mutant-id>``, e.g.
``python:harness.mutants.reference:qemu__qemu-no-mixing``; ``<profile>`` is ``qemu``,
``test`` or ``plan``.

Kinds of change: a check left out (``suppress``: the ``fail()`` whose message contains a
text returns instead of raising, so the code goes on as if the check passed), a profile
behaviour switched (``profile``), a function wrapped (``wrap``), or the stored definition
altered after the fact (``after``: the implementation's result, then one rule undone).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from lxml import etree

from harness.contract import Context, DomainState, Flag, Operation
from harness.reference import Reference
from harness.reference.errors import fail
from harness.reference.model import (
    EXTERNAL,
    INTERNAL,
    MANUAL,
    NO,
    DomainDisk,
    SnapshotDef,
    SnapshotDisk,
    StorageSource,
)
from harness.reference.plan import Cell as PlanCell
from harness.reference.profiles import ALL_FLAGS, PROFILES, Era, Profile
from harness.reference.snapshots import SnapshotList

# the package binds some function names over its submodules' names: import them directly
ref_align = importlib.import_module("harness.reference.align")
ref_format = importlib.import_module("harness.reference.format")
ref_parse = importlib.import_module("harness.reference.parse")
ref_plan = importlib.import_module("harness.reference.plan")
ref_prepare = importlib.import_module("harness.reference.prepare")
ref_redefine = importlib.import_module("harness.reference.redefine")

#: short names of the reference's profiles, as used in mutant connectables
PROFILE_NAMES = {"qemu": "libvirt-9.0-qemu", "test": "libvirt-9.0-test", "plan": "plan-1.0.1"}
SHORT = {v: k for k, v in PROFILE_NAMES.items()}

#: modules of the reference implementation that call ``fail()``
_FAILING = (
    "align", "checks", "create", "errors", "flags", "parse", "plan", "prepare", "redefine",
    "rng", "snapshots",
)  # fmt: skip

Apply = Callable[[ExitStack], None]
After = Callable[["Call", SnapshotDef], None]


@dataclass(frozen=True)
class Call:
    """What a semantics request was: for ``after`` hooks."""

    profile: Profile
    operation: Operation
    text: str
    context: Context

    @property
    def active(self) -> bool:
        return self.context.state is not DomainState.SHUTOFF

    @property
    def disk_only(self) -> bool:
        return Flag.DISK_ONLY in self.context.flags

    def request(self) -> etree._Element:
        return etree.fromstring(self.text.encode(), etree.XMLParser(resolve_entities=False))


@dataclass(frozen=True)
class RefMutant:
    id: str
    rule: str
    what: str
    apply: Apply = lambda stack: None
    profile: Mapping[str, Any] = field(default_factory=dict)
    #: for a left-out check: the message text, also what a binding mutant misreports
    suppressed: str | None = None


MUTANTS: dict[str, RefMutant] = {}


def _add(m: RefMutant) -> None:
    assert m.id not in MUTANTS, m.id
    MUTANTS[m.id] = m


def _drop(el: etree._Element, name: str) -> None:
    if name in el.attrib:
        del el.attrib[name]


# ---------------------------------------------------------------------- building blocks


def _suppressing(text: str | Callable[[str], bool]) -> Apply:
    matches = (lambda detail: text in detail) if isinstance(text, str) else text

    def skip(code: str, detail: str, *, prefixed: bool = True) -> None:
        if matches(detail):
            return
        fail(code, detail, prefixed=prefixed)

    def apply(stack: ExitStack) -> None:
        for name in _FAILING:
            module = importlib.import_module(f"harness.reference.{name}")
            if getattr(module, "fail", None) is fail:
                stack.enter_context(mock.patch.object(module, "fail", skip))

    return apply


def suppress(rule: str, text: str, what: str | None = None, *, mid: str | None = None) -> None:
    _add(
        RefMutant(
            mid or rule,
            rule,
            what or f"leaves out the check that says {text!r}",
            _suppressing(text),
            suppressed=text,
        )
    )


def wrap(
    owner: Any,
    attr: str,
    *,
    before: Callable[..., tuple[tuple[Any, ...], dict[str, Any]]] | None = None,
    after: Callable[..., Any] | None = None,
) -> Apply:
    """Patch ``owner.attr``: ``before(*args, **kw) -> (args, kw)``, ``after(result, *args,
    **kw) -> result``."""
    real = getattr(owner, attr)

    def patched(*args: Any, **kw: Any) -> Any:
        if before is not None:
            args, kw = before(*args, **kw)
        result = real(*args, **kw)
        return after(result, *args, **kw) if after is not None else result

    def apply(stack: ExitStack) -> None:
        stack.enter_context(mock.patch.object(owner, attr, patched))

    return apply


def replace(owner: Any, attr: str, value: Any) -> Apply:
    def apply(stack: ExitStack) -> None:
        stack.enter_context(mock.patch.object(owner, attr, value))

    return apply


def after_semantics(hook: After) -> Apply:
    """Alter the definition a semantics request stores, after the implementation made it."""

    def after(
        snap: SnapshotDef, ref: Reference, operation: Operation, text: str, context: Context
    ) -> SnapshotDef:
        hook(Call(ref.profile, operation, text, context), snap)
        return snap

    return wrap(Reference, "_semantics", after=after)


def mutant(rule: str, what: str, apply: Apply, *, mid: str | None = None) -> None:
    _add(RefMutant(mid or rule, rule, what, apply))


def profile_mutant(rule: str, what: str, **change: Any) -> None:
    _add(RefMutant(rule, rule, what, profile=change))


def _memory_node(root: etree._Element) -> etree._Element | None:
    return next((c for c in root if c.tag == "memory"), None)


def _after_memory(hook: Callable[[Any, etree._Element, SnapshotDef], None]) -> Apply:
    """Run ``hook(parser, root, snap)`` after the parser read ``<memory>`` (both eras)."""

    def after(result: None, parser: Any, root: etree._Element, snap: SnapshotDef, *a: Any) -> None:
        hook(parser, root, snap)

    def apply(stack: ExitStack) -> None:
        for name in ("_memory", "_memory_seed"):
            wrap(ref_parse._Parser, name, after=after)(stack)

    return apply


def _after_disk(hook: Callable[[etree._Element, SnapshotDisk], None]) -> Apply:
    def after(disk: SnapshotDisk, parser: Any, node: etree._Element) -> SnapshotDisk:
        hook(node, disk)
        return disk

    def apply(stack: ExitStack) -> None:
        for name in ("_disk_v9", "_disk_seed"):
            wrap(ref_parse._Parser, name, after=after)(stack)

    return apply


def _after_format(hook: Callable[[etree._Element, Era], None]) -> Apply:
    def after(text: str, snap: SnapshotDef, era: Era) -> str:
        root = etree.fromstring(text.encode())
        hook(root, era)
        return etree.tostring(root, encoding="unicode") + "\n"

    def apply(stack: ExitStack) -> None:
        patched = wrap(ref_format, "format_snapshot", after=after)
        # the reference's __init__ imported the name itself
        import harness.reference as package

        patched(stack)
        stack.enter_context(
            mock.patch.object(package, "format_snapshot", ref_format.format_snapshot)
        )

    return apply


def _align_call(
    change: Callable[[SnapshotDef, Any, str, dict[str, Any]], tuple[str, dict[str, Any]]],
    post: Callable[[SnapshotDef, Any, str, set[str]], None] | None = None,
) -> Apply:
    """Wrap ``align_disks`` where create, redefine and the plan call it."""
    real = ref_align.align_disks

    def patched(snap: SnapshotDef, domain: Any, default: str, **kw: Any) -> None:
        listed = {d.name for d in snap.disks}
        default, kw = change(snap, domain, default, dict(kw))
        real(snap, domain, default, **kw)
        if post is not None:
            post(snap, domain, default, listed)

    def apply(stack: ExitStack) -> None:
        for name in ("create", "redefine", "plan"):
            module = importlib.import_module(f"harness.reference.{name}")
            stack.enter_context(mock.patch.object(module, "align_disks", patched))

    return apply


def _same(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    return default, kw


# ---------------------------------------------------------------------- parse: <memory>

suppress("parse-memory-mode-enum", "in element 'memory'")
suppress("parse-seed-memory-mode-enum", "unknown memory snapshot setting")
suppress("parse-memory-manual-refused", "'manual' memory snapshot mode not supported")


def _file_means_no(parser: Any, root: etree._Element, snap: SnapshotDef) -> None:
    node = _memory_node(root)
    if node is not None and node.get("file") and node.get("snapshot") is None:
        snap.memory, snap.memory_file = NO, None


mutant(
    "parse-memory-file-implies-external",
    "reads <memory file> without a mode as memory 'no'",
    _after_memory(_file_means_no),
)


def _empty_memory_means_no(parser: Any, root: etree._Element, snap: SnapshotDef) -> None:
    node = _memory_node(root)
    if node is not None and not node.attrib:
        snap.memory = NO


mutant(
    "parse-memory-empty-element",
    "reads <memory/> as memory 'no'",
    _after_memory(_empty_memory_means_no),
)


def _absent_flipped(parser: Any, root: etree._Element, snap: SnapshotDef) -> None:
    if _memory_node(root) is None and parser.opts.redefine and snap.memory is not None:
        snap.memory = INTERNAL if snap.memory == NO else NO


mutant(
    "parse-memory-absent-follows-state",
    "gives a read-back definition without <memory> the opposite of what its state implies",
    _after_memory(_absent_flipped),
)
suppress("parse-memory-file-requires-external", "requires external snapshot")
suppress("parse-memory-external-requires-file", "external memory snapshots require a filename")


def _seed_needs_file(parser: Any, root: etree._Element, snap: SnapshotDef) -> None:
    if parser.seed and snap.memory == EXTERNAL and snap.memory_file is None:
        fail("VIR_ERR_XML_ERROR", "external memory snapshots require a filename")


mutant(
    "parse-seed-external-without-file",
    "the seed parser refuses external memory without a file, as 9.0 does",
    _after_memory(_seed_needs_file),
)
suppress("parse-memory-offline-no-state", "memory state cannot be saved with offline")
suppress("parse-memory-file-absolute", "memory snapshot file path")


def _seed_needs_absolute(parser: Any, root: etree._Element, snap: SnapshotDef) -> None:
    node = _memory_node(root)
    if parser.seed and node is not None and not (node.get("file") or "/").startswith("/"):
        fail("VIR_ERR_XML_ERROR", "memory snapshot file path must be absolute")
    if parser.seed and node is not None and node.get("file") == "":
        fail("VIR_ERR_XML_ERROR", "memory snapshot file path must be absolute")


mutant(
    "parse-seed-memory-file-any-path",
    "the seed parser refuses a relative or empty memory file",
    _after_memory(_seed_needs_absolute),
)


def _drop_memory_file(root: etree._Element, era: Era) -> None:
    memory = root.find("memory")
    if memory is not None:
        _drop(memory, "file")
        if memory.get("snapshot") == INTERNAL:
            memory.set("snapshot", NO)


mutant(
    "parse-memory-round-trip",
    "formats internal memory as 'no' and drops an external memory file",
    _after_format(_drop_memory_file),
)


def _no_running_becomes_internal(parser: Any, root: etree._Element, snap: SnapshotDef) -> None:
    if parser.opts.redefine and snap.memory == NO and snap.state == "running":
        snap.memory = INTERNAL


mutant(
    "parse-memory-no-running-kept",
    "turns memory 'no' of a running definition into 'internal'",
    _after_memory(_no_running_becomes_internal),
)

# ---------------------------------------------------------------------- parse: <disks>

suppress("parse-disk-name-required", "missing name from disk snapshot element")
suppress("parse-disk-mode-enum", "'snapshot' in element 'disk'")
suppress("parse-seed-disk-mode-enum", "unknown disk snapshot setting")
mutant(
    "parse-disk-manual",
    "knows no 'manual' disk mode",
    replace(
        ref_parse,
        "_LOCATIONS",
        {Era.SEED: (NO, INTERNAL, EXTERNAL), Era.V9: (NO, INTERNAL, EXTERNAL)},
    ),
)


def _source_keeps_no_mode(node: etree._Element, disk: SnapshotDisk) -> None:
    if node.get("snapshot") is None and disk.snapshot == EXTERNAL:
        disk.snapshot = None


mutant(
    "parse-disk-source-implies-external",
    "leaves a disk with a source or driver but no mode without a mode",
    _after_disk(_source_keeps_no_mode),
)
suppress("parse-disk-driver-known", "unknown disk snapshot driver")
suppress("parse-disk-source-absolute", "disk snapshot image path")
suppress("parse-disk-type-file-block-network", "unsupported disk snapshot type")


def _seed_strict_disk(node: etree._Element, disk: SnapshotDisk) -> None:
    if node.get("type") not in (None, "file", "block", "network"):
        fail("VIR_ERR_XML_ERROR", f"unsupported disk snapshot type '{node.get('type')}'")
    if disk.source.path is not None and not disk.source.path.startswith("/"):
        fail("VIR_ERR_XML_ERROR", f"disk snapshot image path '{disk.source.path}' must be absolute")


def _seed_strict_after(disk: SnapshotDisk, parser: Any, node: etree._Element) -> SnapshotDisk:
    _seed_strict_disk(node, disk)
    return disk


mutant(
    "parse-seed-disk-lax",
    "the seed parser checks disk types and source paths as 9.0 does",
    wrap(ref_parse._Parser, "_disk_seed", after=_seed_strict_after),
)


def _block_source_lost(node: etree._Element, disk: SnapshotDisk) -> None:
    if node.get("type") == "block" or (
        (source := node.find("source")) is not None and source.get("dev")
    ):
        disk.source = StorageSource()


mutant(
    "parse-disk-block-source",
    "drops the <source dev> of a block disk",
    _after_disk(_block_source_lost),
)


def _no_drops_driver(node: etree._Element, disk: SnapshotDisk) -> None:
    if disk.snapshot == NO:
        disk.source.format = None


mutant(
    "parse-disk-no-with-driver",
    "drops the driver of a disk with snapshot 'no'",
    _after_disk(_no_drops_driver),
)


def _raw_refused(node: etree._Element, disk: SnapshotDisk) -> None:
    if disk.source.format == "raw":
        fail("VIR_ERR_CONFIG_UNSUPPORTED", "unknown disk snapshot driver 'raw'")


mutant("parse-disk-raw-driver", "the parser refuses driver format raw", _after_disk(_raw_refused))

# ---------------------------------------------------------------------- parse: document

suppress(
    "parse-root-domainsnapshot",
    "expecting root element",
    "reads any root element as <domainsnapshot>",
)
MUTANTS["parse-root-domainsnapshot"] = dataclasses.replace(
    MUTANTS["parse-root-domainsnapshot"],
    apply=_suppressing(lambda d: d == "domainsnapshot" or "expecting root element" in d),
)


def _recovering(real: Callable[[str], etree._Element]) -> Callable[[str], etree._Element]:
    def read(text: str) -> etree._Element:
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
        root = etree.fromstring(text.encode(), parser)
        if root is None:
            return real(text)
        for disks in root.iterfind("disks"):
            for stray in [c for c in disks if c.tag != "disk"]:
                disks.remove(stray)
        return root

    return read


mutant(
    "parse-malformed",
    "reads malformed XML with a recovering parser",
    replace(ref_parse, "read_document", _recovering(ref_parse.read_document)),
)


def _memory_first(root: etree._Element, era: Era) -> None:
    memory = root.find("memory")
    if memory is not None:
        root.remove(memory)
        root.insert(0, memory)
    parent = root.find("parent")
    if parent is not None:
        root.remove(parent)
        root.append(parent)


mutant(
    "format-element-order",
    "formats <memory> first and <parent> last",
    _after_format(_memory_first),
)


def _markup_dropped(root: etree._Element, era: Era) -> None:
    description = root.find("description")
    if description is not None and description.text:
        description.text = "".join(c for c in description.text if c not in "<>&\"'")


mutant(
    "format-description-escaped",
    "drops markup characters from the description",
    _after_format(_markup_dropped),
)


def _no_disk_type(root: etree._Element, era: Era) -> None:
    for disk in root.iterfind("disks/disk"):
        _drop(disk, "type")


mutant("format-disk-type-attribute", "formats no disk type attribute", _after_format(_no_disk_type))


def _seed_disk_type(root: etree._Element, era: Era) -> None:
    for disk in root.iterfind("disks/disk"):
        if len(disk):
            disk.set("type", "file")


mutant(
    "format-seed-no-disk-type",
    "the seed formatter writes type='file' as 9.0 does",
    _after_format(_seed_disk_type),
)

# ---------------------------------------------------------------------- alignment

suppress("align-too-many", "too many disk snapshot requests")


def _unknown_dropped(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    if domain is not None:
        snap.disks = [d for d in snap.disks if domain.find_disk(d.name) is not None]
    return default, kw


mutant(
    "align-unknown-name",
    "ignores a disk name the domain does not have",
    _align_call(_unknown_dropped),
)
suppress("align-listed-twice", "specified twice")


def _path_names_kept(snap: SnapshotDef, domain: Any, default: str, listed: set[str]) -> None:
    by_target = {d.target: d.source for d in domain.disks} if domain is not None else {}
    for disk in snap.disks:
        if by_target.get(disk.name) in listed:
            disk.name = str(by_target[disk.name])


mutant(
    "align-source-path-name",
    "stores a disk named by its source path under that path",
    _align_call(_same, _path_names_kept),
)


def _nomode_other(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    for disk in snap.disks:
        if disk.snapshot is None:
            disk.snapshot = NO if default == INTERNAL else INTERNAL
    return default, kw


mutant(
    "align-listed-nomode-default",
    "gives a listed disk without a mode 'no' (internal default) or 'internal' (external default)",
    _align_call(_nomode_other),
)


def _nomode_domain(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    for disk in snap.disks:
        dom = domain.find_disk(disk.name) if domain is not None else None
        if disk.snapshot is None and dom is not None and dom.snapshot not in (None, NO):
            disk.snapshot = dom.snapshot
            kw["uniform"] = False
    return default, kw


mutant(
    "align-listed-nomode-ignores-domain",
    "gives a listed disk without a mode the domain's <disk snapshot>",
    _align_call(_nomode_domain),
)


def _not_uniform(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    kw["uniform"] = False
    return default, kw


mutant(
    "align-uniform-internal",
    "lets explicit disk modes differ from an internal default",
    _align_call(_not_uniform),
)
suppress("align-source-requires-external", "requires use of external snapshot mode")


def _domain_mode_ignored(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    if domain is not None:
        listed = {d.name for d in snap.disks}
        for dom in domain.disks:
            if dom.target not in listed and not dom.readonly and not dom.is_empty():
                dom.snapshot = None
    return default, kw


mutant(
    "align-unlisted-domain-mode",
    "gives an unlisted disk the default instead of the domain's <disk snapshot>",
    _align_call(_domain_mode_ignored),
)


def _empty_like_others(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    if domain is not None:
        for dom in domain.disks:
            if dom.source is None and dom.snapshot == NO:
                dom.snapshot = None  # not even the read-only default of an empty cdrom
    return default, kw


def _empty_drive(stack: ExitStack) -> None:
    replace(DomainDisk, "is_empty", lambda self: False)(stack)
    _align_call(_empty_like_others)(stack)


mutant("align-empty-drive-no", "treats an empty drive like any other disk", _empty_drive)


def _readonly_default(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    if domain is not None:
        for dom in domain.disks:
            if dom.readonly and dom.snapshot == NO and not dom.is_empty():
                dom.snapshot = None
    return default, kw


mutant(
    "align-readonly-no",
    "treats a read-only disk like a writable one",
    _align_call(_readonly_default),
)


def _reversed(snap: SnapshotDef, domain: Any, default: str, listed: set[str]) -> None:
    snap.disks.reverse()


mutant("align-domain-order", "lists disks in reverse domain order", _align_call(_same, _reversed))
mutant(
    "align-default-external-name",
    "appends .<snapshot name> to the whole source path",
    replace(ref_align, "external_name", lambda source, name: f"{source}.{name}"),
)


def _paths_forgotten(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    for disk in snap.disks:
        if disk.snapshot == EXTERNAL:
            disk.source.path = None
    return default, kw


mutant(
    "align-explicit-path-kept",
    "replaces an external disk's given path by the generated one",
    _align_call(_paths_forgotten),
)


def _empty_disks_refused(parser: Any, root: etree._Element) -> tuple[Any, dict[str, Any]]:
    disks = next((c for c in root if c.tag == "disks"), None)
    if disks is not None and not len(disks):
        fail("VIR_ERR_XML_ERROR", "<disks> lists no disk")
    return (parser, root), {}


mutant(
    "align-empty-disks-element",
    "refuses an empty <disks/>",
    wrap(ref_parse._Parser, "snapshot", before=_empty_disks_refused),
)


def _only_listed(snap: SnapshotDef, domain: Any, default: str, listed: set[str]) -> None:
    snap.disks = [d for d in snap.disks if d.name in listed]


mutant(
    "align-every-disk-listed",
    "lists only the disks the request named",
    _align_call(_same, _only_listed),
)


def _unlisted_no(snap: SnapshotDef, domain: Any, default: str, listed: set[str]) -> None:
    if default != EXTERNAL or domain is None:
        return
    for disk, dom in zip(snap.disks, domain.disks, strict=True):
        if disk.name not in listed and dom.snapshot is None and disk.snapshot == EXTERNAL:
            disk.snapshot, disk.source = NO, StorageSource()


mutant(
    "align-unlisted-diskonly-external",
    "leaves unlisted disks out of a --disk-only snapshot ('no')",
    _align_call(_same, _unlisted_no),
)


def _no_default_format(
    result: None, disk: SnapshotDisk, domain: Any, *, active: bool, reuse: bool
) -> None:
    if disk.source.format == "qcow2" and disk.source.path is not None:
        index = [d.target for d in domain.disks].index(disk.name)
        disk.source.format = domain.disks[index].format


mutant(
    "qemu-external-overlay-qcow2",
    "gives an external overlay the format of the disk it covers",
    wrap(ref_prepare, "_prepare_external", after=_no_default_format),
)

# ---------------------------------------------------------------------- create


def _has(call: Call, tag: str) -> etree._Element | None:
    return call.request().find(tag)


def _memory_default_no(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and call.active and not call.disk_only:
        node = _has(call, "memory")
        if (node is None or not node.attrib) and snap.memory == INTERNAL:
            snap.memory = NO


mutant(
    "create-memory-default-active",
    "gives an active domain's snapshot without <memory> memory 'no'",
    after_semantics(_memory_default_no),
)


def _shutoff_internal(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and not call.active and snap.memory == NO:
        snap.memory = INTERNAL


mutant(
    "create-memory-default-shutoff",
    "gives a shutoff domain's snapshot memory 'internal'",
    after_semantics(_shutoff_internal),
)

_SWAP = {"running": "paused", "paused": "running"}


def _state_swapped(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and snap.state in _SWAP:
        snap.state = _SWAP[snap.state]


mutant(
    "create-state-recorded",
    "records running for paused and paused for running",
    after_semantics(_state_swapped),
)


def _generated_name_lost(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and _has(call, "name") is None:
        snap.name, snap.description = None, None


mutant(
    "create-generated-name",
    "gives a snapshot without <name> no name and drops its description",
    after_semantics(_generated_name_lost),
)


def _internal_not_uniform(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and snap.memory == INTERNAL:
        for disk in snap.disks[1:] or snap.disks:
            if disk.snapshot == INTERNAL:
                disk.snapshot = NO


mutant(
    "create-memory-internal-uniform",
    "leaves a disk out ('no') of an internal snapshot",
    after_semantics(_internal_not_uniform),
)


def _external_memory_state(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and snap.memory == EXTERNAL:
        snap.state = _SWAP.get(snap.state or "", snap.state)
        for disk in snap.disks:
            if disk.snapshot == EXTERNAL and disk.source.format is None:
                disk.source.format = "qcow2"


mutant(
    "create-external-memory",
    "records the wrong domain state with external memory",
    after_semantics(_external_memory_state),
)


def _disk_no_overlaid(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and snap.memory == EXTERNAL:
        for disk, spec in zip(snap.disks, call.context.disks, strict=False):
            if disk.snapshot == NO and spec.source:
                disk.snapshot = EXTERNAL
                disk.source = StorageSource(path=ref_align.external_name(spec.source, snap.name))


mutant(
    "create-external-memory-disk-no",
    "makes a disk set to 'no' external beside external memory",
    after_semantics(_disk_no_overlaid),
)


def _diskonly_active_state(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and call.disk_only and call.active:
        snap.state = str(call.context.state)


mutant(
    "qemu-diskonly-active-state",
    "records the domain's state instead of disk-snapshot under --disk-only",
    after_semantics(_diskonly_active_state),
)


def _diskonly_shutoff_state(call: Call, snap: SnapshotDef) -> None:
    if call.operation is Operation.CREATE and call.disk_only and not call.active:
        snap.state = "disk-snapshot"


mutant(
    "qemu-diskonly-shutoff-state",
    "records state disk-snapshot for --disk-only on a shutoff domain",
    after_semantics(_diskonly_shutoff_state),
)


def _diskonly_shutoff_internal(call: Call, snap: SnapshotDef) -> None:
    if (call.operation is Operation.CREATE and call.disk_only and not call.active) and (
        any(d.snapshot == INTERNAL for d in snap.disks)
    ):
        fail("VIR_ERR_CONFIG_UNSUPPORTED", "disk-only snapshots require external disks")


mutant(
    "qemu-diskonly-shutoff-internal",
    "refuses an internal disk under --disk-only on a shutoff domain",
    after_semantics(_diskonly_shutoff_internal),
)
suppress("qemu-active-needs-memory", "internal snapshot of a running VM must include the memory")
suppress("qemu-diskonly-active-internal", "active qemu domains require external disk snapshots")
suppress("qemu-internal-needs-qcow2", "unsupported for storage type")
suppress("qemu-nothing-selected", "nothing selected for snapshot")
suppress("qemu-internal-needs-all-disks", "require all disks to be selected for snapshot")
suppress("qemu-no-mixing", "mixing internal and external targets")


def _offline_external_refused(call: Call, snap: SnapshotDef) -> None:
    if (call.operation is Operation.CREATE and not call.active and not call.disk_only) and (
        any(d.snapshot == EXTERNAL for d in snap.disks)
    ):
        fail(
            "VIR_ERR_CONFIG_UNSUPPORTED",
            "external disks of an inactive domain need --disk-only",
        )


mutant(
    "qemu-offline-external-adds-disk-only",
    "refuses an external disk of a shutoff domain without --disk-only",
    after_semantics(_offline_external_refused),
)


def _manual_refused(call: Call, snap: SnapshotDef) -> None:
    if snap.memory == EXTERNAL and any(d.snapshot == MANUAL for d in snap.disks):
        fail("VIR_ERR_CONFIG_UNSUPPORTED", "'manual' disks are not supported")


mutant(
    "qemu-manual-disk-external-memory",
    "refuses a 'manual' disk beside external memory",
    after_semantics(_manual_refused),
)

# ---------------------------------------------------------------------- flags

suppress("qemu-quiesce-needs-disk-only", "is required by flag 'VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE'")
mutant(
    "qemu-quiesce-needs-agent",
    "freezes filesystems without a guest agent",
    _suppressing(lambda d: "guest agent is not configured" in d or d == "domain is not running"),
)
suppress("qemu-live-needs-external-memory", "live snapshot creation is supported only")


def _flag_refused(flag: Flag) -> After:
    def hook(call: Call, snap: SnapshotDef) -> None:
        if flag in call.context.flags:
            fail("VIR_ERR_OPERATION_UNSUPPORTED", f"--{flag} is not supported")

    return hook


mutant("qemu-live-external-memory", "refuses --live", after_semantics(_flag_refused(Flag.LIVE)))
suppress("qemu-reuse-external-missing", "missing existing file for disk")
mutant(
    "qemu-no-metadata-unstored",
    "keeps the definition of a --no-metadata snapshot",
    replace(Reference, "_forgets", lambda self, operation, context: False),
)
mutant("qemu-halt-shuts-off", "refuses --halt", after_semantics(_flag_refused(Flag.HALT)))
mutant("create-atomic-accepted", "refuses --atomic", after_semantics(_flag_refused(Flag.ATOMIC)))

# ---------------------------------------------------------------------- test driver

profile_mutant(
    "test-unsupported-flags",
    "supports every flag, as the QEMU driver does",
    supported_flags=ALL_FLAGS,
)
profile_mutant(
    "test-no-offline-parse", "parses offline as the QEMU driver does", offline_parse=True
)


def _requested_memory_kept(call: Call, snap: SnapshotDef) -> None:
    node = _has(call, "memory")
    if (call.operation is Operation.CREATE and node is not None) and (
        node.get("snapshot") in (NO, INTERNAL)
    ):
        snap.memory = node.get("snapshot")


mutant(
    "test-memory-from-state",
    "stores the memory mode the request asks for",
    after_semantics(_requested_memory_kept),
)
profile_mutant("test-no-prepare", "runs the QEMU driver's checks after alignment", prepare=True)
profile_mutant("test-manual-refused", "accepts 'manual' disks", refuses_manual_disks=False)

# ---------------------------------------------------------------------- redefine

suppress("redefine-name-required", "a redefined snapshot must have a name")
suppress("redefine-state-required", "missing state from existing snapshot")
suppress("redefine-creationtime-required", "missing creationTime from existing snapshot")
suppress("redefine-state-enum", "Invalid state '")


def _no_domain_no_alignment(
    snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]
) -> Any:
    if domain is None:
        kw["skip"] = True
    return default, kw


def _skipping_align() -> Apply:
    real = ref_align.align_disks

    def patched(snap: SnapshotDef, domain: Any, default: str, **kw: Any) -> None:
        if domain is not None:
            real(snap, domain, default, **kw)

    return replace(ref_redefine, "align_disks", patched)


mutant(
    "redefine-domain-required",
    "redefines a new snapshot without <domain>, leaving its disks unaligned",
    _skipping_align(),
)
suppress("redefine-uuid-match", "must use uuid")
suppress("redefine-online-offline", "cannot change between online and offline")
suppress("redefine-diskonly-full", "cannot change between disk only and full system")
suppress("redefine-diskonly-flag-state", "requires disk-snapshot state")


def _forget_domain(result: SnapshotDef | None, snapshots: SnapshotList, name: Any) -> Any:
    if result is None:
        return None
    other = copy.copy(result)
    other.domain = None
    return other


mutant(
    "redefine-existing-keeps-domain",
    "does not keep an existing snapshot's domain when the new document has none",
    wrap(SnapshotList, "get", after=_forget_domain),
)


def _default_flipped(snap: SnapshotDef, domain: Any, default: str, kw: dict[str, Any]) -> Any:
    return (INTERNAL if default == EXTERNAL else EXTERNAL), kw


def _redefine_only(change: Any) -> Apply:
    real = ref_align.align_disks

    def patched(snap: SnapshotDef, domain: Any, default: str, **kw: Any) -> None:
        default, kw = change(snap, domain, default, kw)
        real(snap, domain, default, **kw)

    return replace(ref_redefine, "align_disks", patched)


mutant(
    "redefine-default-from-document",
    "redefine takes the other disk default (internal for external, external for internal)",
    _redefine_only(_default_flipped),
)

# ---------------------------------------------------------------------- the 1.0.1 table


def _row_keys(index: int) -> Iterator[tuple[bool, str, str, bool]]:
    """The table keys whose cell comes from row ``index`` (1-based; first row wins)."""
    seen: set[tuple[bool, str, str, bool]] = set()
    for number, (domain, memory, disk, flag, _) in enumerate(ref_plan._ROWS, start=1):
        for m, d, f in itertools.product(
            ref_plan._expand(memory, "memory"),
            ref_plan._expand(disk, "disk"),
            ref_plan._expand(flag, "flag"),
        ):
            key = (domain == "online", m, d, f == "on")
            if key in seen:
                continue
            seen.add(key)
            if number == index:
                yield key


def _wrong_cell(cell: PlanCell) -> PlanCell:
    if cell.refusal == "invalid":
        return PlanCell(refusal="unsupported")
    if cell.refusal is not None:
        return PlanCell(refusal="invalid", reason="mutant")
    memory = {NO: INTERNAL, INTERNAL: NO, EXTERNAL: NO}[str(cell.memory)]
    return PlanCell(memory=memory, disk=cell.disk)


def _row_mutant(index: int) -> Apply:
    table = dict(ref_plan.TABLE)
    for key in _row_keys(index):
        table[key] = _wrong_cell(table[key])
    patched = replace(ref_plan, "TABLE", table)
    if ref_plan._ROWS[index - 1][4].refusal != "invalid":
        return patched

    def apply(stack: ExitStack) -> None:
        # the seed parser refuses memory on an offline or disk-only parse before the table
        # is read; a table that is wrong in an invalid row is also wrong there
        patched(stack)
        _suppressing("memory state cannot be saved with offline")(stack)

    return apply


for _index, _row in enumerate(ref_plan._ROWS, start=1):
    mutant(
        f"plan-row-{_index:02d}",
        f"gets row {_index} of the 1.0.1 table wrong ({_wrong_cell(_row[4])})",
        _row_mutant(_index),
    )


# ---------------------------------------------------------------------- rules added later


def _after_run(rule: str) -> Apply:
    """The binding mutant's change of the rule, applied to the reference's answer."""

    def after(answer: dict[str, Any], ref_self: Reference, request: dict[str, Any]) -> Any:
        from harness.mutants import binding
        from harness.reference.flags import FLAG_BITS

        _, fn, refusal, texts = binding.LATER[rule]
        if answer.get("outcome") == "rejected":
            if any(t in str(answer.get("message", "")) for t in texts):
                kind = "unsupported" if answer.get("kind") == "invalid" else "invalid"
                code = (
                    "VIR_ERR_CONFIG_UNSUPPORTED" if kind == "unsupported" else "VIR_ERR_XML_ERROR"
                )
                return answer | {"kind": kind, "code": code}
            return answer
        if answer.get("outcome") != "accepted":
            return answer
        flags = sum(FLAG_BITS[Flag(f)] for f in (request.get("context") or {}).get("flags", []))
        if request.get("operation") != "create":
            flags |= binding.REDEFINE
        try:
            asked = binding.Request(etree.fromstring(str(request["xml"]).encode()), flags)
        except etree.XMLSyntaxError:
            return answer
        out = etree.fromstring(str(answer["xml"]).encode())
        if refusal is not None and (found := refusal(asked, out)) is not None:
            code, message = found
            from harness.reference import _rejection
            from harness.reference.errors import SnapshotError

            return _rejection(SnapshotError(code, message))
        if fn is not None:
            fn(asked, out)
        return answer | {"xml": etree.tostring(out, encoding="unicode")}

    return wrap(Reference, "run", after=after)


def _later(rule: str, what: str, extra: Apply | None = None) -> None:
    def apply(stack: ExitStack) -> None:
        _after_run(rule)(stack)
        if extra is not None:
            extra(stack)

    mutant(rule, what, apply)


_later(
    "align-external-name-needs-file",
    "generates overlay names for any source",
    _suppressing("refusing to generate external snapshot name"),
)
_later("format-absent-parts-omitted", "formats an empty <disks/>")
_later("name-spaces-kept", "writes a name's spaces as '_'")
_later("parse-active-internal-only", "keeps a redefined <active>")
_later("parse-cookie-driver-callbacks", "keeps the whole <cookie>")
_later("parse-cookie-offline-dropped", "keeps an offline <cookie>")
_later("parse-disk-empty-driver-source", "keeps empty <driver/> and <source/>")
_later("parse-domain-uuid-only", "drops a uuid-only <domain>")
_later("parse-embedded-domain-definition-only", "checks the embedded domain as if it were to run")
_later("parse-inactive-domain-accepted", "refuses <inactiveDomain>")
_later("parse-startuppolicy-ignored", "keeps a startupPolicy")
_later("redefine-aligns-to-embedded-domain", "redefine lists only the disks the document names")
_later(
    "redefine-parent-must-exist",
    "redefines a snapshot whose parent does not exist",
    _suppressing(lambda d: d.startswith("parent ") and d.endswith("not found")),
)
_later(
    "redefine-pmsuspended",
    "swaps the drivers' answers to state pmsuspended",
    _suppressing("PMSUSPENDED"),
)
_later("validate-schema-passes-on", "refuses every document with --validate")
_later(
    "validate-schema-refuses",
    "leaves the schema check of --validate out",
    _suppressing("Unable to validate doc against"),
)

# ---------------------------------------------------------------------- access


class MutantImplementation:
    """One mutant in one profile, speaking the contract like the reference."""

    def __init__(self, mutant: RefMutant, profile: str) -> None:
        self.mutant = mutant
        base = PROFILES[profile]
        self.reference = Reference(profile)
        if mutant.profile:
            self.reference.profile = dataclasses.replace(base, **mutant.profile)

    def identify(self) -> dict[str, Any]:
        wire = self.reference.identify()
        wire["name"] = f"snapconform-reference-mutant-{self.mutant.id}"
        return wire

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        with ExitStack() as stack:
            self.mutant.apply(stack)
            return self.reference.run(request)


def connectable(mutant_id: str, profile: str) -> str:
    return f"python:{__name__}:{SHORT[profile]}__{mutant_id}"


def __getattr__(name: str) -> MutantImplementation:
    short, sep, mutant_id = name.partition("__")
    if not sep or short not in PROFILE_NAMES or mutant_id not in MUTANTS:
        raise AttributeError(name)
    return MutantImplementation(MUTANTS[mutant_id], PROFILE_NAMES[short])
