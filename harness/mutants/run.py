"""``snapconform mutants``: run every mutant against the cases of its rule, in parallel.

For each mutant and profile, only the cases and cells that exercise the mutant's rule run
(the coverage map of :mod:`harness.rules`). A case kills a mutant when it passes on the
unmutated implementation (the baseline) and does not pass on the mutant. A kill is weak
when the only difference is a message text (same outcome, kind and code).
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.connectables import connect
from harness.contract import SCRATCH_TOKEN, UUID_TOKEN, Adapter, Identity, Request
from harness.corpus.loader import load_corpus
from harness.corpus.model import Corpus
from harness.judge import Verdict, judge
from harness.rules import coverage, load_catalogue, universe

REFERENCE_BASELINE = {
    "libvirt-9.0-qemu": "python:harness.reference:libvirt_9_0_qemu",
    "libvirt-9.0-test": "python:harness.reference:libvirt_9_0_test",
    "plan-1.0.1": "python:harness.reference:plan_1_0_1",
}
#: the profile a real libvirt URI is judged by
URI_PROFILES = {"test:///default": "libvirt-9.0-test", "qemu:///system": "libvirt-9.0-qemu"}


@dataclass(frozen=True)
class Task:
    mutant: str
    rule: str
    kind: str  # reference | binding | baseline
    connectable: str
    profile: str
    cases: tuple[str, ...]


@dataclass
class Outcome:
    """Per case: "pass", or "weak"/"strong" for a failure (error counts as strong)."""

    task: Task
    results: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def weak(verdict: Verdict) -> bool:
    """A failure that only a message text tells apart (outcome, kind and code agree)."""
    want, got = verdict.expected or {}, verdict.actual or {}
    return (
        verdict.status == "fail"
        and want.get("outcome") == "rejected"
        and got.get("outcome") == "rejected"
        and want.get("kind") == got.get("kind")
        and (not want.get("code") or want.get("code") == got.get("code"))
    )


@cache
def _corpus(root: str) -> Corpus:
    return load_corpus(Path(root))


@cache
def _cells(root: str, profile: str) -> dict[str, Any]:
    from harness.table.loader import load_table, table_files

    if profile not in table_files(Path(root)):
        return {}
    table = load_table(Path(root), profile)
    return {k.id: (k, r) for k, r in table.defined_cells().items()}


def verdict_of(
    case_id: str, corpus: Corpus, cells: dict[str, Any], adapter: Adapter, identity: Identity,
    profile_name: str,
) -> Verdict:  # fmt: skip
    from harness.table.cells import judge_cell, request_for

    profile = corpus.profiles[profile_name]
    if case_id in cells:
        key, expected = cells[case_id]
        tokens = {SCRATCH_TOKEN: adapter.scratch}
        request = request_for(key, tokens)
        if not identity.supports(request.level, request.operation):
            return Verdict("not-applicable")
        return judge_cell(key, expected, adapter.run(request), profile, tokens)
    case = corpus.case(case_id)
    exp = case.expectation_for(profile_name)
    if exp is None or not identity.supports(case.level, case.operation):
        return Verdict("not-applicable")
    tokens = {SCRATCH_TOKEN: adapter.scratch, UUID_TOKEN: str(uuid.uuid4())}
    request = Request(case.level, case.operation, case.input_xml(tokens), case.context(tokens))
    return judge(case, exp, adapter.run(request), profile, tokens)


def run_task(task: Task, root: str) -> Outcome:
    out = Outcome(task)
    try:
        corpus = _corpus(root)
        cells = _cells(root, task.profile)
        adapter = connect(task.connectable)
    except Exception as exc:  # reported per mutant, never a crash of the run
        out.error = f"{type(exc).__name__}: {exc}"
        return out
    try:
        identity = adapter.identify()
        for case_id in task.cases:
            verdict = verdict_of(case_id, corpus, cells, adapter, identity, task.profile)
            if verdict.status in ("pass", "not-applicable"):
                out.results[case_id] = verdict.status
            else:
                out.results[case_id] = "weak" if weak(verdict) else "strong"
                out.messages[case_id] = (verdict.message or "")[:300]
    except Exception as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        adapter.close()
    return out


def plan(
    root: Path,
    *,
    rules: Sequence[str] | None,
    kinds: Sequence[str],
    uris: Sequence[str],
    max_cases: int | None = None,
) -> tuple[list[Task], list[str]]:
    """Every (mutant, profile) task, the baselines, and the problems (rules without mutants)."""
    from harness.mutants import reference as ref

    corpus = load_corpus(root)
    catalogue = load_catalogue(root)
    covered = coverage(catalogue, universe(corpus))
    wanted = set(rules) if rules else catalogue.ids()
    problems = [
        f"mutant {m.id}: rule {m.rule} is not in the catalogue"
        for m in ref.MUTANTS.values()
        if m.rule not in catalogue.ids()
    ]
    tasks: list[Task] = []
    baseline: dict[tuple[str, str], set[str]] = {}

    def cases_for(rule_id: str, profile: str, limit: int | None = None) -> tuple[str, ...]:
        found = [c for c, ps in covered[rule_id].items() if profile in ps]
        # corpus cases first, then table cells; at most ``limit`` of them
        found.sort(key=lambda c: (c.startswith("table-"), c))
        return tuple(found[:limit])

    for rule in catalogue.rules:
        if rule.id not in wanted:
            continue
        if "reference" in kinds:
            mine = [m for m in ref.MUTANTS.values() if m.rule == rule.id]
            if not mine:
                problems.append(f"rule {rule.id}: no reference mutant")
            for m in mine:
                for profile in rule.profiles:
                    cases = cases_for(rule.id, profile)
                    if cases:
                        conn = ref.connectable(m.id, profile)
                        tasks.append(Task(m.id, rule.id, "reference", conn, profile, cases))
                        baseline.setdefault((REFERENCE_BASELINE[profile], profile), set()).update(
                            cases
                        )
        if "binding" in kinds and rule.observable:
            from harness.mutants import binding

            for uri in uris:
                profile = URI_PROFILES.get(uri.split("?")[0], "libvirt-9.0-test")
                wanted_here = profile in rule.profiles
                cases = cases_for(rule.id, profile, max_cases) if wanted_here else ()
                if not cases:
                    continue
                mine_b = [m for m in binding.MUTANTS.values() if m.rule == rule.id]
                if not mine_b:
                    problems.append(f"rule {rule.id}: no binding mutant (observable on {uri})")
                for bm in mine_b:
                    conn = binding.connectable(bm.id, uri)
                    tasks.append(Task(bm.id, rule.id, "binding", conn, profile, cases))
                    baseline.setdefault((f"python-libvirt:libvirt@{uri}", profile), set()).update(
                        cases
                    )
    for (conn, profile), wanted_cases in baseline.items():
        ordered = sorted(wanted_cases)
        chunk = 60
        for i in range(0, len(ordered), chunk):
            part = tuple(ordered[i : i + chunk])
            tasks.append(Task("baseline", "", "baseline", conn, profile, part))
    return tasks, problems


@dataclass
class MutantResult:
    mutant: str
    rule: str
    kind: str
    connectable: str
    profile: str
    status: str  # killed | survived | error
    weak: bool
    killers: list[str]
    weak_killers: list[str]
    error: str | None


def judge_outcomes(outcomes: list[Outcome]) -> list[MutantResult]:
    passes: dict[tuple[str, str], set[str]] = {}
    for o in outcomes:
        if o.task.kind == "baseline":
            key = (
                o.task.connectable.split("@")[-1] if "@" in o.task.connectable else "",
                o.task.profile,
            )
            passes.setdefault(key, set()).update(c for c, s in o.results.items() if s == "pass")
    results = []
    for o in outcomes:
        t = o.task
        if t.kind == "baseline":
            continue
        key = (t.connectable.split("@")[-1] if t.kind == "binding" else "", t.profile)
        good = passes.get(key, set())
        strong = sorted(c for c, s in o.results.items() if s == "strong" and c in good)
        weak_ = sorted(c for c, s in o.results.items() if s == "weak" and c in good)
        status = "error" if o.error is not None else "killed" if strong or weak_ else "survived"
        results.append(
            MutantResult(
                t.mutant,
                t.rule,
                t.kind,
                t.connectable,
                t.profile,
                status,
                status == "killed" and not strong,
                strong,
                weak_,
                o.error,
            )
        )
    return results


def report(results: list[MutantResult], problems: list[str], baseline_failures: list[str]) -> str:
    lines: list[str] = []
    by_rule: dict[str, list[MutantResult]] = {}
    for r in results:
        by_rule.setdefault(r.rule, []).append(r)
    for rule, rs in by_rule.items():
        lines.append(rule)
        for r in sorted(rs, key=lambda r: (r.kind, r.profile)):
            tag = r.status + (" (weak)" if r.weak else "")
            killers = r.killers or r.weak_killers
            shown = ", ".join(killers[:4]) + (
                f", +{len(killers) - 4} more" if len(killers) > 4 else ""
            )
            where = f"{r.kind} {r.mutant} [{r.profile}]"
            extra = f": {r.error}" if r.error else (f" by {shown}" if killers else "")
            lines.append(f"  {tag:<15} {where}{extra}")
    total = len(results)
    killed = sum(r.status == "killed" for r in results)
    weak_ = [r for r in results if r.weak]
    lines.append("")
    for p in baseline_failures:
        lines.append(f"baseline: {p}")
    for p in problems:
        lines.append(f"problem: {p}")
    if weak_:
        lines.append(
            "weak kills (only a message text differs): "
            + ", ".join(f"{r.mutant}[{r.kind}/{r.profile}]" for r in weak_)
        )
    score = 100.0 * killed / total if total else 0.0
    rules = len(by_rule)
    ref_n = len({r.mutant for r in results if r.kind == "reference"})
    bind_n = len({r.mutant for r in results if r.kind == "binding"})
    lines.append(
        f"mutants: {rules} rules, {ref_n} reference + {bind_n} binding mutants, {total} runs: "
        f"{killed} killed ({len(weak_)} weak), {total - killed} not killed; score {score:.1f} %"
    )
    return "\n".join(lines)


def main(args: Any) -> int:
    from harness.paths import default_corpus

    root = Path(args.corpus) if args.corpus else default_corpus()
    kinds = args.kind or ["reference", "binding"]
    uris = args.uri or ["test:///default"]
    if "binding" in kinds:
        try:
            importlib.import_module("libvirt")
        except ImportError:
            if args.kind:
                print("binding mutants need the libvirt binding (python3-libvirt)", file=sys.stderr)
                return 2
            kinds = [k for k in kinds if k != "binding"]
            print("notice: no libvirt binding here; binding mutants skipped", file=sys.stderr)
    if args.allow_host:
        import os

        os.environ["SNAPCONFORM_ALLOW_HOST"] = "1"
    tasks, problems = plan(root, rules=args.rule, kinds=kinds, uris=uris, max_cases=args.max_cases)
    jobs = max(1, int(args.jobs))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        outcomes = list(pool.map(run_task, tasks, [str(root)] * len(tasks)))
    baseline_failures = [
        f"{o.task.connectable} [{o.task.profile}]: {c} does not pass unmutated"
        for o in outcomes
        if o.task.kind == "baseline"
        for c, s in o.results.items()
        if s not in ("pass", "not-applicable")
    ] + [
        f"{o.task.connectable}: {o.error}"
        for o in outcomes
        if o.task.kind == "baseline" and o.error
    ]
    results = judge_outcomes(outcomes)
    print(report(results, problems, baseline_failures))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"results": [asdict(r) for r in results], "problems": problems}, indent=2)
        )
    bad = [r for r in results if r.status != "killed"]
    return 1 if bad or problems or not results else 0


def add_arguments(parser: Any) -> None:
    parser.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    parser.add_argument("--rule", action="append", help="only this rule's mutants (repeatable)")
    parser.add_argument(
        "--kind", action="append", choices=["reference", "binding"], help="only this kind"
    )
    parser.add_argument(
        "--uri", action="append",
        help="libvirt URI for binding mutants (repeatable; default test:///default)",
    )  # fmt: skip
    parser.add_argument(
        "--max-cases",
        type=int,
        help="binding mutants: run at most this many of a rule's cases (corpus cases first)",
    )
    parser.add_argument("-j", "--jobs", default="2", help="parallel processes (default 2)")
    parser.add_argument("--allow-host", action="store_true", help="binding: a host with domains")
    parser.add_argument("--json", help="also write the results as JSON to this file")
