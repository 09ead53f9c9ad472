"""Table cells as requests, and outcomes as cell results.

A cell (state, memory spec, disk spec, disk-only, format, extra flags) becomes one ``create``
request on a one-disk domain; its outcome is reduced to what the table states: accepted with
the resolved memory and disk modes and the snapshot's state, or a rejection of a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from harness.contract import (
    SCRATCH_TOKEN,
    Accepted,
    Context,
    DiskSpec,
    DomainState,
    Errored,
    Flag,
    Level,
    Operation,
    Outcome,
    Request,
    Unstored,
    outcome_to_wire,
)
from harness.corpus.model import Profile, Tokens, substitute
from harness.judge import Verdict, describe_unstored, rejection_detail_mismatch, views_verdict
from harness.table.model import CellKey, Result
from harness.xmlsafe import XmlError, parse_xml

SNAPSHOT_NAME = "cell"
#: the memory mode of a stored definition that has no <memory> element at all (libvirt 11.3+
#: stores an external snapshot of a shut-off domain that way)
MEMORY_ABSENT = "absent"

MEMORY_XML = {
    "omit": "",
    "no": "<memory snapshot='no'/>",
    "internal": "<memory snapshot='internal'/>",
    "external": f"<memory snapshot='external' file='{SCRATCH_TOKEN}/{SNAPSHOT_NAME}.mem'/>",
    "manual": "<memory snapshot='manual'/>",
}

#: the short names of two-disk specs ("int+ext": vda internal, vdb external)
SHORT_SPECS = {"int": "internal", "ext": "external", "no": "no", "omit": "omit"}
TARGETS = ("vda", "vdb")


def disk_specs(spec: str) -> list[tuple[str, str]]:
    """(target, spec) per domain disk: ``external`` alone is one disk, ``int+ext`` two."""
    if "+" not in spec:
        return [("vda", spec)]
    parts = spec.split("+")
    return [(t, SHORT_SPECS[p]) for t, p in zip(TARGETS, parts, strict=True)]


def _disk_xml(target: str, spec: str) -> str:
    if spec == "omit":
        return ""
    if spec == "external":
        source = f"{SCRATCH_TOKEN}/{target}.{SNAPSHOT_NAME}.overlay"
        return f"<disk name='{target}' snapshot='external'><source file='{source}'/></disk>"
    mode = "external" if spec == "external-nosource" else spec
    return f"<disk name='{target}' snapshot='{mode}'/>"


def request_for(cell: CellKey, tokens: Tokens) -> Request:
    specs = disk_specs(cell.disk)
    listed = "".join(_disk_xml(t, s) for t, s in specs)
    xml = (
        f"<domainsnapshot><name>{SNAPSHOT_NAME}</name>{MEMORY_XML[cell.memory]}"
        + (f"<disks>{listed}</disks>" if listed else "")
        + "</domainsnapshot>"
    )
    suffix = "qcow2" if cell.format == "qcow2" else "img"
    flags = {Flag(f) for f in cell.flags}
    if cell.disk_only:
        flags.add(Flag.DISK_ONLY)
    context = Context(
        state=DomainState(cell.state),
        flags=frozenset(flags),
        disks=tuple(
            DiskSpec(target=t, source=f"{tokens[SCRATCH_TOKEN]}/{t}.{suffix}", format=cell.format)
            for t, _ in specs
        ),
        uuid=None,
    )
    return Request(Level.SEMANTICS, Operation.CREATE, substitute(xml, tokens), context)


def observe(outcome: Outcome) -> Result:
    """What the table states about an outcome (accepted modes, or the rejection)."""
    if isinstance(outcome, Errored):
        raise ValueError(outcome.message)
    if isinstance(outcome, Unstored):
        return Result(outcome="accepted", stored=False, effects=tuple(sorted(outcome.effects)))
    if not isinstance(outcome, Accepted):
        return Result(outcome=str(outcome.kind), code=outcome.code, message=outcome.message)
    root = parse_xml(outcome.xml, what="answer XML")
    memory = root.find("memory")
    disks = {d.get("name", "?"): d.get("snapshot", "?") for d in root.iterfind("disks/disk")}
    return Result(
        outcome="accepted",
        memory=MEMORY_ABSENT if memory is None else memory.get("snapshot"),
        disk=disks,
        state=root.findtext("state"),
    )


def judge_cell(
    cell: CellKey, expected: Result, outcome: Outcome, profile: Profile, tokens: Tokens
) -> Verdict:
    if expected.message:
        expected = replace(expected, message=substitute(expected.message, tokens))
    if not expected.stored:
        expected = replace(expected, effects=tuple(substitute(e, tokens) for e in expected.effects))
    want = _wire(expected)
    if isinstance(outcome, Errored):
        return Verdict("error", f"implementation errored: {outcome.message}", None, want, None)
    split_views = views_verdict(outcome, want, outcome_to_wire(outcome))
    if split_views is not None:
        return split_views
    try:
        got = observe(outcome)
    except XmlError as exc:
        return Verdict("fail", f"{cell.describe()}: {exc}", None, want, None)
    actual = outcome_to_wire(outcome) | {k: v for k, v in _wire(got).items() if k != "outcome"}
    where = f"cell {cell.describe()}"
    if got.outcome != expected.outcome:
        said = f"; implementation said: {got.message!r}" if got.message else ""
        return Verdict(
            "fail",
            f"{where}: expected {_summary(expected)}, got {_summary(got)}{said}",
            None,
            want,
            actual,
        )
    problems = []
    if got.outcome == "accepted" and got.stored != expected.stored:
        problems.append(
            describe_unstored(outcome)
            if isinstance(outcome, Unstored)
            else "a definition was stored and read back, expected none to be kept (--no-metadata)"
        )
    elif got.outcome == "accepted" and not got.stored:
        # the effects are judged when the implementation reports any (a host always does)
        if got.effects and set(got.effects) != set(expected.effects):
            problems.append(f"effects {sorted(got.effects)}, expected {sorted(expected.effects)}")
    elif got.outcome == "accepted":
        if expected.memory and got.memory != expected.memory:
            problems.append(f"memory {got.memory}, expected {expected.memory}")
        want_modes, got_modes = expected.disk_modes(), got.disk_modes()
        if want_modes is not None and got_modes != want_modes:
            problems.append(f"disks {got.disk}, expected {expected.disk}")
        if expected.state and got.state != expected.state:
            problems.append(f"snapshot state {got.state}, expected {expected.state}")
    else:
        miss = rejection_detail_mismatch(
            profile, expected.code, expected.message, got.code, got.message
        )
        if miss is not None:
            problems.append(miss)
    if problems:
        return Verdict("fail", f"{where}: " + "; ".join(problems), None, want, actual)
    return Verdict("pass", None, None, want, actual)


def _summary(result: Result) -> str:
    if result.outcome == "accepted" and not result.stored:
        return "accepted, no definition kept"
    if result.outcome == "accepted":
        return f"accepted (memory={result.memory}, disks={result.disk}, state={result.state})"
    return f"{result.outcome}" + (f" [{result.code}]" if result.code else "")


def _wire(result: Result) -> dict[str, object]:
    """A table result in the contract's wire shape (plus the table's own fields)."""
    out: dict[str, object] = {"outcome": "accepted"}
    if result.outcome != "accepted":
        out = {"outcome": "rejected", "kind": result.outcome}
    for key in ("memory", "disk", "state", "code", "message", "reason", "mechanism"):
        value = getattr(result, key)
        if value is not None:
            out[key] = dict(value) if isinstance(value, Mapping) else value
    if not result.stored:
        out["outcome"] = "unstored"
        out["effects"] = list(result.effects)
    return out
