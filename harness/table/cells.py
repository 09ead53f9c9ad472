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
    outcome_to_wire,
)
from harness.corpus.model import Profile, Tokens, substitute
from harness.judge import Verdict
from harness.table.model import CellKey, Result
from harness.xmlsafe import XmlError, parse_xml

SNAPSHOT_NAME = "cell"

MEMORY_XML = {
    "omit": "",
    "no": "<memory snapshot='no'/>",
    "internal": "<memory snapshot='internal'/>",
    "external": f"<memory snapshot='external' file='{SCRATCH_TOKEN}/{SNAPSHOT_NAME}.mem'/>",
    "manual": "<memory snapshot='manual'/>",
}

DISK_XML = {
    "omit": "",
    "no": "<disks><disk name='vda' snapshot='no'/></disks>",
    "internal": "<disks><disk name='vda' snapshot='internal'/></disks>",
    "external": (
        "<disks><disk name='vda' snapshot='external'>"
        f"<source file='{SCRATCH_TOKEN}/vda.{SNAPSHOT_NAME}.overlay'/></disk></disks>"
    ),
    "external-nosource": "<disks><disk name='vda' snapshot='external'/></disks>",
    "manual": "<disks><disk name='vda' snapshot='manual'/></disks>",
}


def request_for(cell: CellKey, tokens: Tokens) -> Request:
    xml = (
        f"<domainsnapshot><name>{SNAPSHOT_NAME}</name>"
        f"{MEMORY_XML[cell.memory]}{DISK_XML[cell.disk]}</domainsnapshot>"
    )
    suffix = "qcow2" if cell.format == "qcow2" else "img"
    flags = {Flag(f) for f in cell.flags}
    if cell.disk_only:
        flags.add(Flag.DISK_ONLY)
    context = Context(
        state=DomainState(cell.state),
        flags=frozenset(flags),
        disks=(
            DiskSpec(
                target="vda", source=f"{tokens[SCRATCH_TOKEN]}/vda.{suffix}", format=cell.format
            ),
        ),
        uuid=None,
    )
    return Request(Level.SEMANTICS, Operation.CREATE, substitute(xml, tokens), context)


def observe(outcome: Outcome) -> Result:
    """What the table states about an outcome (accepted modes, or the rejection)."""
    if isinstance(outcome, Errored):
        raise ValueError(outcome.message)
    if not isinstance(outcome, Accepted):
        return Result(outcome=str(outcome.kind), code=outcome.code, message=outcome.message)
    root = parse_xml(outcome.xml, what="answer XML")
    memory = root.find("memory")
    disks = {d.get("name", "?"): d.get("snapshot", "?") for d in root.iterfind("disks/disk")}
    return Result(
        outcome="accepted",
        memory=None if memory is None else memory.get("snapshot"),
        disk=disks,
        state=root.findtext("state"),
    )


def judge_cell(
    cell: CellKey, expected: Result, outcome: Outcome, profile: Profile, tokens: Tokens
) -> Verdict:
    if expected.message:
        expected = replace(expected, message=substitute(expected.message, tokens))
    want = _wire(expected)
    if isinstance(outcome, Errored):
        return Verdict("error", f"implementation errored: {outcome.message}", None, want, None)
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
    if got.outcome == "accepted":
        if expected.memory and got.memory != expected.memory:
            problems.append(f"memory {got.memory}, expected {expected.memory}")
        want_modes, got_modes = expected.disk_modes(), got.disk_modes()
        if want_modes is not None and got_modes != want_modes:
            problems.append(f"disks {got.disk}, expected {expected.disk}")
        if expected.state and got.state != expected.state:
            problems.append(f"snapshot state {got.state}, expected {expected.state}")
    else:
        if profile.match in ("code", "message") and expected.code and got.code != expected.code:
            problems.append(f"error code {got.code}, expected {expected.code}")
        if (
            profile.match == "message"
            and expected.message
            and expected.message not in (got.message or "")
        ):
            problems.append(f"message {got.message!r} does not contain {expected.message!r}")
    if problems:
        return Verdict("fail", f"{where}: " + "; ".join(problems), None, want, actual)
    return Verdict("pass", None, None, want, actual)


def _summary(result: Result) -> str:
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
    return out
