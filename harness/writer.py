"""The ``writer`` class: a library that only *writes* snapshot requests, judged by meaning.

A writer (OpenStack nova's ``LibvirtConfigGuestSnapshot``, say) parses nothing, so no
syntax or semantics case fits it. What can be asked of it is that the document it writes
for given inputs, sent to a real libvirt, does what its caller meant. A *writer case*
(``implementations/<name>/writes.json``, format below) gives:

- ``inputs``: what the caller sets on the writer's objects (the writer module maps them);
- ``context``: the domain and flags the request runs on (the contract's context);
- ``intent``: what the caller means, stated in the writer's own terms, independently of
  libvirt: the snapshot's ``name`` (absent: libvirt names it), ``memory`` (``no`` ...),
  and per disk target its ``mode``, and for an external disk its ``source`` file and
  ``format``.

The runner writes the document, sends it to an implementation (``virsh:URI``,
``libvirt:URI``: a real libvirt) as a create request, and judges libvirt's answer against
the intent: refused fails; a stored definition must hold the intended name, memory mode
and, for every intended disk, its mode, source and driver format; an ``unstored`` answer
(``--no-metadata``) must show, per disk, the effects the intent implies (an external disk's
source is now the intended file; a disk meant ``no`` shows no effect).

A writer module has ``identify() -> {"name", "version", ...}`` and
``write(inputs) -> str``; it runs in this process (``python:MODULE``) or, for a library
whose dependencies belong in their own virtualenv, in another interpreter
(``--writer-python PATH``).

    python -m harness.writer --writer python:MODULE [--writer-python PY] [--path DIR]
        --impl virsh:test:///default CASES.json [--report FILE]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.contract import (
    Accepted,
    Context,
    ContractError,
    Level,
    Operation,
    Outcome,
    Rejected,
    Request,
    Unstored,
    context_from_wire,
)
from harness.xmlsafe import XmlError, parse_xml

MODES = ("no", "internal", "external", "manual")


class WriterError(ValueError):
    """A writer case file or a writer does not follow the format above."""


@dataclass(frozen=True)
class DiskIntent:
    target: str
    mode: str
    source: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class Intent:
    name: str | None = None
    memory: str | None = None
    disks: tuple[DiskIntent, ...] = ()


@dataclass(frozen=True)
class WriterCase:
    id: str
    description: str
    inputs: Mapping[str, Any]
    context: Context
    intent: Intent
    provenance: tuple[str, ...] = ()


@dataclass
class Verdict:
    case: str
    status: str  # pass, fail, error, not-applicable
    problems: list[str] = field(default_factory=list)
    xml: str | None = None
    answer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case,
            "status": self.status,
            "problems": self.problems,
            "written": self.xml,
            "answer": self.answer,
        }


def _intent(case_id: str, raw: object) -> Intent:
    if not isinstance(raw, Mapping):
        raise WriterError(f"{case_id}: intent must be an object")
    disks = []
    for d in raw.get("disks", []):
        if not isinstance(d, Mapping) or d.get("mode") not in MODES or not d.get("target"):
            raise WriterError(f"{case_id}: each intended disk needs a target and a mode")
        disks.append(DiskIntent(d["target"], d["mode"], d.get("source"), d.get("format")))
    memory = raw.get("memory")
    if memory is not None and memory not in MODES:
        raise WriterError(f"{case_id}: intent memory must be one of {MODES}")
    return Intent(raw.get("name"), memory, tuple(disks))


def load_cases(path: Path) -> list[WriterCase]:
    """The writer cases of ``path``; every case needs provenance for its inputs."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise WriterError(f"{path}: cannot read: {exc}") from None
    cases = []
    for raw in data.get("cases", []) if isinstance(data, Mapping) else []:
        case_id = raw.get("id") if isinstance(raw, Mapping) else None
        if not isinstance(case_id, str) or not case_id:
            raise WriterError(f"{path}: every case needs an id")
        provenance = raw.get("provenance")
        if not isinstance(provenance, list) or not provenance:
            raise WriterError(f"{path}: {case_id}: needs provenance (where its inputs come from)")
        try:
            context = context_from_wire(raw.get("context"))
        except ContractError as exc:
            raise WriterError(f"{path}: {case_id}: context: {exc}") from None
        if not isinstance(raw.get("inputs"), Mapping):
            raise WriterError(f"{path}: {case_id}: inputs must be an object")
        cases.append(
            WriterCase(
                id=case_id,
                description=str(raw.get("description", "")),
                inputs=raw["inputs"],
                context=context,
                intent=_intent(case_id, raw.get("intent")),
                provenance=tuple(str(p) for p in provenance),
            )
        )
    if not cases:
        raise WriterError(f"{path}: no cases")
    return cases


def _scratch(value: Any, scratch: str) -> Any:
    """``value`` with ``@SCRATCH@`` replaced by the implementation's scratch directory."""
    if isinstance(value, str):
        return value.replace("@SCRATCH@", scratch)
    if isinstance(value, list):
        return [_scratch(v, scratch) for v in value]
    if isinstance(value, Mapping):
        return {k: _scratch(v, scratch) for k, v in value.items()}
    return value


def _context(context: Context, scratch: str) -> Context:
    disks = tuple(
        type(d)(**{**d.__dict__, "source": _scratch(d.source, scratch)}) for d in context.disks
    )
    return Context(
        state=context.state,
        flags=context.flags,
        disks=disks,
        existing=context.existing,
        persistent=context.persistent,
        uuid=context.uuid,
    )


def judge_stored(intent: Intent, xml: str, scratch: str) -> list[str]:
    """What in libvirt's stored definition ``xml`` departs from ``intent``."""
    try:
        root = parse_xml(xml, what="the stored definition")
    except XmlError as exc:
        return [str(exc)]
    problems = []
    if intent.name is not None and root.findtext("name") != intent.name:
        problems.append(f"name: meant {intent.name!r}, stored {root.findtext('name')!r}")
    if intent.memory is not None:
        memory = root.find("memory")
        got = memory.get("snapshot") if memory is not None else None
        if got != intent.memory:
            problems.append(f"memory: meant {intent.memory!r}, stored {got!r}")
    stored = {d.get("name"): d for d in root.findall("disks/disk")}
    for want in intent.disks:
        disk = stored.get(want.target)
        if disk is None:
            problems.append(f"disk {want.target}: meant {want.mode}, not in the definition")
            continue
        if disk.get("snapshot") != want.mode:
            problems.append(
                f"disk {want.target}: meant {want.mode}, stored {disk.get('snapshot')!r}"
            )
        source = disk.find("source")
        got_source = source.get("file") if source is not None else None
        if want.source is not None and got_source != _scratch(want.source, scratch):
            problems.append(
                f"disk {want.target}: meant source {_scratch(want.source, scratch)!r}, "
                f"stored {got_source!r}"
            )
        driver = disk.find("driver")
        got_format = driver.get("type") if driver is not None else None
        if want.format is not None and got_format != want.format:
            problems.append(
                f"disk {want.target}: meant format {want.format!r}, stored {got_format!r}"
            )
    return problems


def judge_unstored(intent: Intent, effects: Sequence[str], scratch: str) -> list[str]:
    """What the effects of an unstored snapshot show against ``intent`` (disks only: with
    no definition kept, the name and memory mode cannot be read back)."""
    problems = []
    for want in intent.disks:
        mine = [e for e in effects if e.startswith(f"{want.target}: ")]
        if want.mode == "external" and want.source is not None:
            fact = f"{want.target}: the disk's source is now {_scratch(want.source, scratch)}"
            if fact not in effects:
                problems.append(f"disk {want.target}: meant external to the file, saw {mine}")
        elif want.mode == "no" and mine:
            problems.append(f"disk {want.target}: meant no snapshot, saw {mine}")
    return problems


def judge(intent: Intent, outcome: Outcome, scratch: str) -> tuple[str, list[str]]:
    if isinstance(outcome, Accepted):
        problems = judge_stored(intent, outcome.xml, scratch)
    elif isinstance(outcome, Unstored):
        problems = judge_unstored(intent, outcome.effects, scratch)
    elif isinstance(outcome, Rejected):
        return "fail", [f"libvirt refused the written request: {outcome.code}: {outcome.message}"]
    else:
        return "error", [f"the implementation errored: {outcome.message}"]
    return ("fail" if problems else "pass"), problems


Write = Callable[[Sequence[Mapping[str, Any]]], list[str]]


def in_process(module: str) -> tuple[dict[str, Any], Write]:
    mod = importlib.import_module(module)

    def write(inputs: Sequence[Mapping[str, Any]]) -> list[str]:
        return [str(mod.write(dict(i))) for i in inputs]

    return dict(mod.identify()), write


_CHILD = (
    "import json, sys, importlib\n"
    "m = importlib.import_module(sys.argv[1])\n"
    "inputs = json.load(sys.stdin)\n"
    "json.dump({'identity': m.identify(), 'xml': [m.write(i) for i in inputs]}, sys.stdout)\n"
)


def in_interpreter(
    module: str, python: str, path: Sequence[str] = ()
) -> tuple[dict[str, Any], Write]:
    """A writer in another interpreter (its own virtualenv): one child process per batch."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*path, env.get("PYTHONPATH", "")]).strip(os.pathsep)
    identity: dict[str, Any] = {}

    def write(inputs: Sequence[Mapping[str, Any]]) -> list[str]:
        done = subprocess.run(
            [python, "-W", "ignore", "-c", _CHILD, module],
            input=json.dumps(list(inputs)),
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise WriterError(f"writer {module} in {python} failed: {done.stderr.strip()[-2000:]}")
        answer = json.loads(done.stdout)
        identity.update(answer["identity"])
        return [str(x) for x in answer["xml"]]

    return identity, write


#: the least document a create request can carry: libvirt fills in everything
BASELINE = "<domainsnapshot/>"


def _refused_anyway(impl: Any, request: Request, refusal: Rejected) -> bool:
    """Whether the target refuses ``request``'s context (its flags, say: the test driver has
    no disk-only snapshots) with the same error for the least document too. Then the
    refusal says nothing about the writer and the case cannot be judged on this target."""
    baseline = impl.run(Request(request.level, request.operation, BASELINE, request.context))
    return (
        isinstance(baseline, Rejected)
        and baseline.code == refusal.code
        and baseline.message == refusal.message
    )


def run_cases(
    cases: Sequence[WriterCase], write: Write, impl: Any, *, level: Level = Level.SEMANTICS
) -> list[Verdict]:
    """Write every case's document, run it on ``impl`` (an adapter), judge it."""
    scratch = str(impl.scratch)
    documents = write([_scratch(dict(c.inputs), scratch) for c in cases])
    verdicts = []
    for case, xml in zip(cases, documents, strict=True):
        request = Request(level, Operation.CREATE, xml, _context(case.context, scratch))
        outcome = impl.run(request)
        status, problems = judge(case.intent, outcome, scratch)
        if isinstance(outcome, Rejected) and _refused_anyway(impl, request, outcome):
            status = "not-applicable"
            problems = [f"the target refuses this context whatever the document: {outcome.message}"]
        answer = getattr(outcome, "xml", None) or json.dumps(
            {"outcome": outcome.outcome, "detail": getattr(outcome, "effects", None)}
        )
        verdicts.append(Verdict(case.id, status, problems, xml, answer))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="judge a writer-only library by meaning")
    parser.add_argument("cases", type=Path)
    parser.add_argument("--writer", required=True, help="python:MODULE with identify(), write()")
    parser.add_argument("--writer-python", help="run the writer in this interpreter")
    parser.add_argument("--path", action="append", default=[], help="PYTHONPATH for the writer")
    parser.add_argument("--impl", default="virsh:test:///default")
    parser.add_argument("--level", choices=["semantics", "host"], default="semantics")
    parser.add_argument("--report", type=Path, help="write the verdicts as JSON here")
    args = parser.parse_args(argv)

    from harness.connectables import connect

    kind, _, module = args.writer.partition(":")
    if kind != "python" or not module:
        parser.error("--writer must be python:MODULE")
    cases = load_cases(args.cases)
    if args.writer_python:
        identity, write = in_interpreter(module, args.writer_python, args.path)
    else:
        sys.path[:0] = args.path
        identity, write = in_process(module)
    impl = connect(args.impl)
    try:
        verdicts = run_cases(cases, write, impl, level=Level(args.level))
        target = impl.identify()
    finally:
        impl.close()
    for v in verdicts:
        print(f"{v.status.upper():5} {v.case}" + "".join(f"\n      {p}" for p in v.problems))
    statuses = ("pass", "fail", "error", "not-applicable")
    counts = {s: sum(v.status == s for v in verdicts) for s in statuses}
    who = f"{identity.get('name', module)} {identity.get('version', '')}".strip()
    print(
        f"writer {who} through {impl.connectable} (libvirt {target.details.get('libvirt', '?')}): "
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors, "
        f"{counts['not-applicable']} not applicable"
    )
    if args.report:
        report = {
            "writer": identity,
            "impl": impl.connectable,
            "target": dict(target.details),
            "verdicts": [v.to_json() for v in verdicts],
        }
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if counts["fail"] or counts["error"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
