"""Differential exploration: ``snapconform explore --impl A --impl B [--budget N] [--out DIR]``.

Hypothesis draws create requests (domain state, persistence, the domain's disks and their
formats, the document's memory and per-disk modes, flags); both implementations run each one
through their normal adapters; every request on which they disagree is shrunk greedily to a
minimal one that still disagrees the same way, and written to DIR as a *candidate* case:
``input.xml`` and ``candidate.json`` (context and both observations). A candidate is never
an expectation: it enters the corpus only once confirmed live and given provenance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness.compare import canonicalize
from harness.contract import (
    SCRATCH_TOKEN,
    Accepted,
    Adapter,
    Context,
    DiskSpec,
    DomainState,
    Errored,
    Flag,
    Level,
    Operation,
    Outcome,
    Rejected,
    Request,
    Unstored,
)
from harness.xmlsafe import XmlError

MEMORY = ("omit", "no", "internal", "external", "manual")
DISK_MODES = ("omit", "no", "internal", "external", "manual")
FORMATS = ("qcow2", "raw")
FLAGS = ("disk-only", "halt", "atomic", "live", "no-metadata", "reuse-external", "quiesce")
NAME = "x1"


@dataclass(frozen=True)
class Scenario:
    state: str = "shutoff"
    persistent: bool = True
    memory: str = "omit"
    #: (target, format, mode in the document) per domain disk
    disks: tuple[tuple[str, str, str], ...] = (("vda", "qcow2", "omit"),)
    flags: tuple[str, ...] = ()

    def request(self, scratch: str) -> Request:
        memory = {
            "omit": "",
            "external": f"<memory snapshot='external' file='{scratch}/{NAME}.mem'/>",
        }.get(self.memory, f"<memory snapshot='{self.memory}'/>")
        listed = "".join(
            f"<disk name='{t}' snapshot='{m}'/>" for t, _, m in self.disks if m != "omit"
        )
        xml = f"<domainsnapshot><name>{NAME}</name>{memory}" + (
            f"<disks>{listed}</disks></domainsnapshot>" if listed else "</domainsnapshot>"
        )
        disks = tuple(
            DiskSpec(
                target=t, source=f"{scratch}/{t}.{'qcow2' if f == 'qcow2' else 'img'}", format=f
            )
            for t, f, _ in self.disks
        )
        context = Context(
            state=DomainState(self.state),
            flags=frozenset(Flag(f) for f in self.flags),
            disks=disks,
            persistent=self.persistent,
        )
        return Request(Level.SEMANTICS, Operation.CREATE, xml, context)


scenarios = st.builds(
    Scenario,
    state=st.sampled_from(["shutoff", "running", "paused"]),
    persistent=st.booleans(),
    memory=st.sampled_from(MEMORY),
    # each disk its own format and mode: mixed qcow2 and raw domains too
    disks=st.lists(
        st.tuples(st.sampled_from(FORMATS), st.sampled_from(DISK_MODES)), min_size=1, max_size=2
    ).map(lambda specs: tuple((("vda", "vdb")[i], f, m) for i, (f, m) in enumerate(specs))),
    flags=st.lists(st.sampled_from(FLAGS), unique=True, max_size=3).map(lambda f: tuple(sorted(f))),
).map(lambda s: s if s.persistent or s.state != "shutoff" else replace(s, persistent=True))


def observe(outcome: Outcome, scratch: str) -> dict[str, Any] | None:
    """What is compared of an outcome (None for an errored one: a malfunction, not a view)."""
    if isinstance(outcome, Errored):
        return None
    if isinstance(outcome, Rejected):
        return {"outcome": "rejected", "kind": str(outcome.kind), "code": outcome.code}
    if isinstance(outcome, Unstored):
        effects = sorted(e.replace(scratch, SCRATCH_TOKEN) for e in outcome.effects)
        return {"outcome": "unstored", "effects": effects}
    assert isinstance(outcome, Accepted)
    try:
        xml = canonicalize(outcome.xml, masks=("creationTime", "domain"))
    except XmlError as exc:
        return {"outcome": "accepted", "xml": f"(unparsable: {exc})"}
    return {"outcome": "accepted", "xml": xml.replace(scratch, SCRATCH_TOKEN)}


def _differs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["outcome"] == "unstored" and b["outcome"] == "unstored":
        return bool(a["effects"] and b["effects"] and a["effects"] != b["effects"])
    return a != b


@dataclass(frozen=True)
class Disagreement:
    scenario: Scenario
    a: dict[str, Any]
    b: dict[str, Any]

    def signature(self) -> tuple[str, ...]:
        return (
            self.a["outcome"],
            str(self.a.get("code")),
            self.b["outcome"],
            str(self.b.get("code")),
        )


class Explorer:
    def __init__(self, a: Adapter, b: Adapter) -> None:
        self.a, self.b = a, b
        self.runs = 0
        self.errored = 0
        #: the first errored requests: (scenario, which side, its message)
        self.errors: list[tuple[Scenario, str, str]] = []

    def check(self, scenario: Scenario) -> Disagreement | None:
        self.runs += 1
        ra = self.a.run(scenario.request(self.a.scratch))
        rb = self.b.run(scenario.request(self.b.scratch))
        oa, ob = observe(ra, self.a.scratch), observe(rb, self.b.scratch)
        if oa is None or ob is None:
            self.errored += 1
            for side, outcome in (("A", ra), ("B", rb)):
                if isinstance(outcome, Errored) and len(self.errors) < 20:
                    self.errors.append((scenario, side, outcome.message))
            return None
        return Disagreement(scenario, oa, ob) if _differs(oa, ob) else None

    def shrink(self, found: Disagreement) -> Disagreement:
        """Greedy: take any simpler scenario that disagrees the same way, until none does."""
        best = found
        seen = {found.scenario}
        changed = True
        while changed:
            changed = False
            for simpler in _simpler(best.scenario):
                if simpler in seen:
                    continue
                seen.add(simpler)
                again = self.check(simpler)
                if again is not None and again.signature() == best.signature():
                    best, changed = again, True
                    break
        return best


def _simpler(s: Scenario) -> list[Scenario]:
    out = [replace(s, flags=tuple(f for f in s.flags if f != drop)) for drop in s.flags]
    if len(s.disks) > 1:
        out.append(replace(s, disks=s.disks[:1]))
    if s.memory != "omit":
        out.append(replace(s, memory="omit"))
    for i, (t, f, m) in enumerate(s.disks):
        if m != "omit":
            out.append(replace(s, disks=(*s.disks[:i], (t, f, "omit"), *s.disks[i + 1 :])))
    if any(f != "qcow2" for _, f, _ in s.disks):
        out.append(replace(s, disks=tuple((t, "qcow2", m) for t, _, m in s.disks)))
    if not s.persistent:
        out.append(replace(s, persistent=True))
    # states get simpler in one direction only (paused -> running -> shut off; a transient
    # domain cannot be shut off), so shrinking cannot go round in a circle
    if s.state == "paused":
        out.append(replace(s, state="running"))
    elif s.state == "running" and s.persistent:
        out.append(replace(s, state="shutoff"))
    return out


def explore(
    a: Adapter, b: Adapter, budget: int, progress: Callable[[str], None] | None = None
) -> tuple[list[Disagreement], Explorer]:
    """Run ``budget`` drawn scenarios on both; shrink each disagreement; one per signature."""
    explorer = Explorer(a, b)
    raw: list[Disagreement] = []

    @settings(
        max_examples=budget,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(scenarios)
    def draw(scenario: Scenario) -> None:
        found = explorer.check(scenario)
        if found is not None:
            raw.append(found)

    draw()
    shrunk: dict[tuple[str, ...], Disagreement] = {}
    for found in raw:
        if found.signature() in shrunk:
            continue
        small = explorer.shrink(found)
        if progress is not None:
            progress(f"disagreement {found.signature()} shrunk to {small.scenario}")
        shrunk.setdefault(small.signature(), small)
    return list(shrunk.values()), explorer


def _coverage_key(request: Request) -> tuple[Any, ...]:
    """What makes two create requests the same question: state, persistence, flags, the
    domain's disks (target, format) and the document less its snapshot name and memory file."""
    xml = re.sub(r"<name>[^<]*</name>", "", request.xml)
    xml = re.sub(r"(<memory [^>]*file=')[^']*'", r"\1F'", xml)
    context = request.context
    assert context is not None
    return (
        str(context.state),
        context.persistent,
        frozenset(str(f) for f in context.flags),
        tuple((d.target, d.format) for d in context.disks),
        xml,
    )


def table_cells(corpus: Path) -> dict[tuple[Any, ...], str]:
    """The combination table's cells by the question they ask (their coverage key)."""
    from harness.table.cells import request_for
    from harness.table.loader import load_axes

    axes = load_axes(corpus)
    return {
        _coverage_key(request_for(cell, {SCRATCH_TOKEN: SCRATCH_TOKEN})): cell.id
        for cell in axes.product()
    }


def covered_by(scenario: Scenario, cells: dict[tuple[Any, ...], str]) -> str | None:
    """The table cell that asks the same question as ``scenario``, if one does."""
    return cells.get(_coverage_key(scenario.request(SCRATCH_TOKEN)))


def write_candidates(
    found: list[Disagreement],
    out: Path,
    a: str,
    b: str,
    covering: Sequence[str | None] | None = None,
) -> list[Path]:
    """Each disagreement as a candidate folder; ``covering`` names, per disagreement, the
    table cell that asks the same question (:func:`covered_by`), if any."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for index, d in enumerate(found, start=1):
        folder = out / f"candidate-{index:03d}"
        folder.mkdir(exist_ok=True)
        request = d.scenario.request(SCRATCH_TOKEN)
        (folder / "input.xml").write_text(request.xml + "\n", encoding="utf-8")
        doc = {
            "status": "candidate: not an expectation until confirmed live and given provenance",
            "scenario": asdict(d.scenario),
            "observed": {a: d.a, b: d.b},
        }
        cell = None if covering is None else covering[index - 1]
        if cell is not None:
            doc["covered_by"] = cell  # the corpus asks this already: a known difference
        (folder / "candidate.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        written.append(folder)
    return written


__all__ = [
    "Disagreement",
    "Scenario",
    "covered_by",
    "explore",
    "observe",
    "scenarios",
    "table_cells",
    "write_candidates",
]
