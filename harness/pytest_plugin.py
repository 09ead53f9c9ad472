"""The pytest plugin behind ``conformance/``: corpus cases as tests, results as reports.

Loaded by ``conformance/conftest.py``; works with pytest-xdist (records travel from the
workers to the controller in ``user_properties``; only the controller writes reports).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness import __version__
from harness.adapters.base import AdapterError
from harness.classes import (
    TABLE_TAG,
    case_classes,
    cell_classes,
    judged_classes,
    parse_classes,
)
from harness.connectables import DEFAULT_CONNECTABLE, connect
from harness.contract import (
    CONTRACT_VERSION,
    SCRATCH_TOKEN,
    UUID_TOKEN,
    Adapter,
    ConformanceClass,
    Identity,
    Level,
    Request,
    identity_to_wire,
)
from harness.corpus.loader import load_corpus
from harness.corpus.model import Corpus, CorpusError, Profile
from harness.expectations import ExpectationsError, Known, applicable, load_expectations
from harness.judge import Verdict, expected_wire, judge
from harness.ordering import FixtureGroupScheduling, FixtureKey, ordered, scope_of
from harness.paths import default_corpus
from harness.profiles import ProfileError, select_profile
from harness.progress import Progress
from harness.reproduce import reproduction
from harness.results import (
    CaseResult,
    ResultsWriter,
    RunHeader,
    class_counts,
    new_run_id,
    summary_counts,
)
from harness.table.cells import judge_cell, request_for
from harness.table.loader import load_axes, load_table, table_files
from harness.table.model import CellKey, Result

PROPERTY = "snapconform"

__all__ = [
    "pytest_addoption",
    "pytest_cmdline_main",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "pytest_xdist_make_scheduler",
    "sc_run",
]


@dataclass
class Suite:
    """Per-process state of a conformance run."""

    corpus: Corpus
    connectable: str
    requested_profile: str | None
    timeout: float | None
    #: every entry of the known-failures file; ``known`` holds those for this implementation
    known_all: dict[str, tuple[Known, ...]]
    known: dict[str, Known] = field(default_factory=dict)
    #: --record: the transcript file the conversation is appended to
    record: str | None = None
    adapter: Adapter | None = None
    identity: Identity | None = None
    profile: Profile | None = None
    writer: ResultsWriter | None = None
    report_dir: Path | None = None
    collected: int = 0
    recorded: set[str] = field(default_factory=set)
    unexpected_passes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    #: selections of --class, --level and --tag (empty: all)
    only_classes: tuple[ConformanceClass, ...] = ()
    only_levels: tuple[str, ...] = ()
    only_tags: tuple[str, ...] = ()
    #: --strict-expectations: any departure from the known-failures file fails the run
    strict: bool = False
    #: known-failure entries whose case did not end as listed (id, what happened)
    departures: list[tuple[str, str]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    _cells: dict[str, tuple[CellKey, Result]] | None = None
    _keys: dict[str, FixtureKey] = field(default_factory=dict)

    def cells(self) -> dict[str, tuple[CellKey, Result]]:
        """The defined cells of the profile's combination table, by case id."""
        if self._cells is None:
            _, _, profile = self.connect()
            self._cells = {}
            if profile.name in table_files(self.corpus.root):
                table = load_table(self.corpus.root, profile.name)
                self._cells = {k.id: (k, r) for k, r in table.defined_cells().items()}
        return self._cells

    def request(self, case_id: str, tokens: dict[str, str]) -> Request | None:
        """The request case ``case_id`` sends, or None when it sends none (not-applicable
        for the profile, or a level/operation the implementation does not support)."""
        _, identity, profile = self.connect()
        if case_id in self.cells():
            request = request_for(self.cells()[case_id][0], tokens)
        else:
            case = self.corpus.case(case_id)
            if case.expectation_for(profile.name) is None:
                return None
            request = Request(
                level=case.level,
                operation=case.operation,
                xml=case.input_xml(tokens),
                context=case.context(tokens),
            )
        if not identity.supports(request.level, request.operation):
            return None
        return request

    def fixture_key_of(self) -> Callable[[Request], FixtureKey] | None:
        adapter, _, _ = self.connect()
        key_of = getattr(adapter, "fixture_key", None)
        return key_of if callable(key_of) else None

    def fixture_key(self, case_id: str | None) -> FixtureKey:
        """The fixture case ``case_id`` runs on (None: none), computed once per case."""
        if case_id is None:
            return None
        if case_id not in self._keys:
            key_of = self.fixture_key_of()
            adapter, _, _ = self.connect()
            tokens = {SCRATCH_TOKEN: adapter.scratch, UUID_TOKEN: str(uuid.uuid4())}
            try:
                request = self.request(case_id, tokens)
            except (KeyError, CorpusError):
                request = None
            self._keys[case_id] = None if key_of is None or request is None else key_of(request)
        return self._keys[case_id]

    def connect(self) -> tuple[Adapter, Identity, Profile]:
        if self.adapter is None:
            self.adapter = connect(self.connectable, timeout=self.timeout, record=self.record)
            self.identity = self.adapter.identify()
            self.profile = select_profile(self.corpus, self.identity, self.requested_profile)
            self.known = applicable(
                self.known_all, self.identity.version, dict(self.identity.details)
            )
        assert self.identity is not None and self.profile is not None
        return self.adapter, self.identity, self.profile


SUITE = pytest.StashKey[Suite]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("snapconform", "snapconform conformance suite")
    group.addoption(
        "--impl",
        default=os.environ.get("SNAPCONFORM_IMPL", DEFAULT_CONNECTABLE),
        help=f"implementation to test, as KIND:TARGET (default {DEFAULT_CONNECTABLE})",
    )
    group.addoption("--profile", default=None, help="profile to judge by (default: detected)")
    group.addoption("--corpus", default=None, help="corpus directory (default: the bundled one)")
    group.addoption(
        "--report-dir",
        default=os.environ.get("SNAPCONFORM_REPORT_DIR", "reports"),
        help="where reports/<run-id>/ goes (default: reports)",
    )
    group.addoption("--no-report", action="store_true", help="write no results.json/junit.xml")
    group.addoption(
        "--expectations", default=None, help="JSON file of known failures of this implementation"
    )
    group.addoption("--impl-timeout", type=float, default=None, help="seconds one request may take")
    group.addoption(
        "--allow-host",
        action="store_true",
        help="virsh:/libvirt: also on a host with domains of its own (docs/host.md)",
    )
    group.addoption(
        "--dry-run", action="store_true", help="virsh: print the host commands, run none"
    )
    group.addoption(
        "--record",
        default=None,
        metavar="FILE",
        help="keep a transcript of the conversation (replay it with --impl replay:FILE)",
    )
    group.addoption(
        "--class",
        dest="sc_classes",
        action="append",
        default=[],
        metavar="CLASS",
        help="only cases of this conformance class, judged in it alone (repeatable; "
        "model, libvirt-format, semantics, host)",
    )
    group.addoption(
        "--level",
        dest="sc_levels",
        action="append",
        default=[],
        choices=[str(level) for level in Level],
        help="only cases of this level (repeatable; table cells are semantics)",
    )
    group.addoption(
        "--tag",
        dest="sc_tags",
        action="append",
        default=[],
        metavar="TAG",
        help=f"only cases with this tag (repeatable: all of them; table cells: {TABLE_TAG!r})",
    )
    group.addoption(
        "--strict-expectations",
        action="store_true",
        help="fail the run when a case listed in --expectations passes, is not applicable "
        "or ends otherwise than listed (a change in results needs the file updated)",
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    # host options reach the virsh:/libvirt: adapters (and xdist workers) via the environment
    if config.getoption("allow_host"):
        os.environ["SNAPCONFORM_ALLOW_HOST"] = "1"
    if config.getoption("dry_run"):
        os.environ["SNAPCONFORM_DRY_RUN"] = "1"
    for level in ("syntax", "semantics", "host"):
        config.addinivalue_line("markers", f"{level}: {level}-level corpus case")
    config.addinivalue_line("markers", "table: a cell of the profile's combination table")
    corpus_dir = Path(config.getoption("corpus") or default_corpus())
    try:
        corpus = load_corpus(corpus_dir)
        known_file = config.getoption("expectations")
        known = load_expectations(Path(known_file), _case_ids(corpus)) if known_file else {}
    except CorpusError as exc:
        raise pytest.UsageError(
            f"cannot load the corpus {corpus_dir}:\n  " + "\n  ".join(exc.problems)
        ) from None
    except ExpectationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        only_classes = parse_classes(config.getoption("sc_classes"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    suite = Suite(
        corpus=corpus,
        connectable=config.getoption("impl"),
        requested_profile=config.getoption("profile"),
        timeout=config.getoption("impl_timeout"),
        known_all=known,
        record=_transcript(config),
        dry_run=bool(config.getoption("dry_run")),
        only_classes=only_classes,
        only_levels=tuple(config.getoption("sc_levels")),
        only_tags=tuple(config.getoption("sc_tags")),
        strict=bool(config.getoption("strict_expectations")),
    )
    config.stash[SUITE] = suite
    progress = None
    if (
        not _is_worker(config)
        and config.get_verbosity() >= 0
        and not config.getoption("collectonly")
    ):
        from harness.progress import Progress

        progress = Progress(suite.connectable)
        config.pluginmanager.register(progress, "snapconform-progress")
    config.pluginmanager.register(Recorder(suite, progress), "snapconform-recorder")


def _transcript(config: pytest.Config) -> str | None:
    """The --record file, absolute; emptied once, by the controller, before any worker runs."""
    given = config.getoption("record")
    if not given:
        return None
    path = Path(given).resolve()
    if not _is_worker(config):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    return str(path)


def _case_ids(corpus: Corpus) -> set[str]:
    """Every id a known-failures file may name: the corpus cases and every table cell."""
    ids = {c.id for c in corpus.cases}
    if (corpus.root / "tables" / "axes.json").exists():
        ids |= {k.id for k in load_axes(corpus.root).product()}
    return ids


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Any:
    """A usage error (no corpus, an unreachable implementation, ...) is one line, ``ERROR:
    what to do``, without the empty line pytest's own printer adds after each."""
    try:
        return (yield)
    except pytest.UsageError as exc:
        for message in exc.args:
            print(f"ERROR: {message}", file=sys.stderr)
        return pytest.ExitCode.USAGE_ERROR


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    suite = config.stash[SUITE]
    try:
        _, identity, profile = suite.connect()
    except (AdapterError, ProfileError) as exc:
        message = str(exc)
        if not message.startswith(f"{suite.connectable}:"):
            message = f"{suite.connectable}: {message}"
        raise pytest.UsageError(message) from None
    unclaimed = [str(c) for c in suite.only_classes if c not in identity.claimed_classes()]
    if unclaimed:
        claimed = ", ".join(sorted(str(c) for c in identity.claimed_classes()))
        raise pytest.UsageError(
            f"{suite.connectable}: --class {', '.join(unclaimed)}: {identity.name} does not "
            f"claim it (it claims {claimed}); choose one of those"
        )
    if _is_worker(config) or config.getoption("no_report") or config.getoption("collectonly"):
        return
    run_id = new_run_id()
    suite.report_dir = Path(config.getoption("report_dir")) / run_id
    implementation = identity_to_wire(identity) | {
        "connectable": suite.connectable,
        "classes": sorted(str(c) for c in identity.claimed_classes()),
    }
    header = RunHeader(
        run_id=run_id,
        harness_version=__version__,
        corpus_version=suite.corpus.version,
        contract=CONTRACT_VERSION,
        implementation=implementation,
        profile=profile.name,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        argv=list(config.invocation_params.args),
    )
    suite.writer = ResultsWriter(suite.report_dir, header)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sc_case_id" in metafunc.fixturenames:
        suite = metafunc.config.stash[SUITE]
        ids = [c.id for c in suite.corpus.cases] + sorted(suite.cells())
        metafunc.parametrize("sc_case_id", ids, ids=ids)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    suite = config.stash[SUITE]
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        case_id = _case_id_of(item)
        if case_id in suite.cells():
            item.add_marker(pytest.mark.table)
        elif case_id is not None:
            case = suite.corpus.case(case_id)
            item.add_marker(getattr(pytest.mark, case.level.value))
        if case_id is None or _selected(suite, case_id):
            kept.append(item)
        else:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    if suite.fixture_key_of() is not None:
        # by fixture (harness.ordering); the same order in every xdist worker
        items[:] = ordered(items, lambda item: suite.fixture_key(_case_id_of(item)))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The count of a complete run is the selection's (after ``-k``/``-m``), not the corpus's."""
    session.config.stash[SUITE].collected = len(session.items)


def _case_id_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    case_id = callspec.params.get("sc_case_id") if callspec else None
    return None if case_id is None else str(case_id)


@pytest.hookimpl(optionalhook=True)  # known only while xdist is loaded
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With an adapter that runs on fixtures, whole fixture groups go to one worker."""
    suite = config.stash.get(SUITE, None)
    if suite is None or suite.fixture_key_of() is None:
        return None
    return FixtureGroupScheduling(
        config,
        log,
        group=lambda nodeid: scope_of(suite.fixture_key(nodeid.rpartition("[")[2][:-1])),
    )


def _selected(suite: Suite, case_id: str) -> bool:
    """Whether --class, --level and --tag keep the case ``case_id``."""
    if case_id in suite.cells():
        level, tags, belongs = str(Level.SEMANTICS), {TABLE_TAG}, cell_classes()
    else:
        case = suite.corpus.case(case_id)
        _, _, profile = suite.connect()
        level, tags = str(case.level), set(case.tags)
        belongs = case_classes(case, case.expectation_for(profile.name))
    if suite.only_levels and level not in suite.only_levels:
        return False
    if suite.only_tags and not set(suite.only_tags) <= tags:
        return False
    return not suite.only_classes or bool(set(belongs) & set(suite.only_classes))


def _worst(verdicts: list[tuple[ConformanceClass, Verdict]]) -> Verdict:
    """One verdict for a case judged in several classes: the first that did not pass (its
    message naming the class), else the first."""
    for _cls, verdict in verdicts:
        if verdict.status in ("error", "fail"):
            worse = [v for _, v in verdicts if v.status == "error"]
            chosen = worse[0] if worse and verdict.status != "error" else verdict
            named = next(c for c, v in verdicts if v is chosen)
            return Verdict(
                chosen.status,
                f"[{named} class] {chosen.message}",
                chosen.diff,
                chosen.expected,
                chosen.actual,
            )
    return verdicts[0][1]


class CaseRunner:
    """Runs one corpus case through the adapter and turns the verdict into a test result."""

    def __init__(self, suite: Suite, item: pytest.Item) -> None:
        self.suite = suite
        self.item = item
        self.reproduction: str | None = None

    def __call__(self, case_id: str) -> None:
        suite = self.suite
        adapter, identity, profile = suite.connect()
        if case_id in suite.cells():
            self._cell(case_id, adapter, identity, profile)
            return
        case = suite.corpus.case(case_id)
        tokens = {SCRATCH_TOKEN: adapter.scratch, UUID_TOKEN: str(uuid.uuid4())}
        started = time.perf_counter()
        level, operation = str(case.level), str(case.operation)
        exp = case.expectation_for(profile.name)
        if exp is None:
            why = f"case is undefined for profile {profile.name}"
            self._record(case_id, level, operation, Verdict("not-applicable", why), started)
            pytest.skip(f"not-applicable: {why}")
        if not identity.supports(case.level, case.operation):
            why = f"{identity.name} does not support {level}/{operation}"
            verdict = Verdict("not-applicable", why, None, expected_wire(case, exp, tokens))
            self._record(case_id, level, operation, verdict, started)
            pytest.skip(f"not-applicable: {why}")
        belongs = case_classes(case, exp)
        classes = judged_classes(belongs, identity, suite.only_classes)
        if not classes:
            why = (
                f"case belongs to class {', '.join(map(str, belongs))}; {identity.name} "
                f"claims {', '.join(sorted(map(str, identity.claimed_classes())))}"
            )
            verdict = Verdict("not-applicable", why, None, expected_wire(case, exp, tokens))
            self._record(case_id, level, operation, verdict, started)
            pytest.skip(f"not-applicable: {why}")
        request = Request(
            level=case.level,
            operation=case.operation,
            xml=case.input_xml(tokens),
            context=case.context(tokens),
        )
        outcome = adapter.run(request)
        self._skip_if_dry_run(case_id, level, operation, started)
        verdicts = [(cls, judge(case, exp, outcome, profile, tokens, cls)) for cls in classes]
        verdict = _worst(verdicts)
        self._reproduce(verdict, request, adapter)
        known = suite.known.get(case.id)
        by_class = {str(cls): v.status for cls, v in verdicts}
        self._record(case_id, level, operation, verdict, started, known, by_class)
        self._raise(case_id, case.description, verdict, known)

    def _cell(self, case_id: str, adapter: Adapter, identity: Identity, profile: Profile) -> None:
        key, expected = self.suite.cells()[case_id]
        started = time.perf_counter()
        tokens = {SCRATCH_TOKEN: adapter.scratch}
        request = request_for(key, tokens)
        operation = str(request.operation)
        if not identity.supports(request.level, request.operation):
            why = f"{identity.name} does not support {request.level}/{operation}"
            self._record(case_id, "table", operation, Verdict("not-applicable", why), started)
            pytest.skip(f"not-applicable: {why}")
        classes = judged_classes(cell_classes(), identity, self.suite.only_classes)
        if not classes:
            why = f"table cells belong to class semantics; {identity.name} does not claim it"
            self._record(case_id, "table", operation, Verdict("not-applicable", why), started)
            pytest.skip(f"not-applicable: {why}")
        outcome = adapter.run(request)
        self._skip_if_dry_run(case_id, "table", operation, started)
        verdict = judge_cell(key, expected, outcome, profile, tokens)
        self._reproduce(verdict, request, adapter)
        known = self.suite.known.get(case_id)
        by_class = {str(cls): verdict.status for cls in classes}
        self._record(case_id, "table", operation, verdict, started, known, by_class)
        self._raise(case_id, key.describe(), verdict, known)

    def _skip_if_dry_run(self, case_id: str, level: str, operation: str, started: float) -> None:
        """A dry run prints what it would do; its cases are neither passed nor failed."""
        if self.suite.dry_run:
            why = "dry run: the host commands were printed, not run"
            self._record(case_id, level, operation, Verdict("not-applicable", why), started)
            pytest.skip(why)

    def _reproduce(self, verdict: Verdict, request: Request, adapter: Adapter) -> None:
        """Keep a copy-paste reproduction of a failed or errored request."""
        if verdict.status in ("fail", "error"):
            try:
                self.reproduction = reproduction(self.suite.connectable, request, adapter.scratch)
            except (ValueError, KeyError, TypeError) as exc:  # never lose the verdict over it
                self.reproduction = f"(no reproduction: {type(exc).__name__}: {exc})"

    def _raise(self, case_id: str, description: str, verdict: Verdict, known: Known | None) -> None:
        if verdict.status in ("fail", "error"):
            text = f"[{verdict.status}] {case_id}: {description}\n{verdict.message}"
            if verdict.diff:
                text += "\n" + verdict.diff
            if self.reproduction:
                text += "\nreproduce:\n" + self.reproduction
            if known is not None:
                pytest.xfail(f"known {known.status}: {known.reason}\n{text}")
            pytest.fail(text, pytrace=False)

    def _record(
        self,
        case_id: str,
        level: str,
        operation: str,
        verdict: Verdict,
        started: float,
        known: Known | None = None,
        classes: Mapping[str, str] | None = None,
    ) -> None:
        result = CaseResult(
            id=case_id,
            level=level,
            operation=operation,
            status=verdict.status,
            expected=verdict.expected,
            actual=verdict.actual,
            diff=verdict.diff,
            message=verdict.message,
            duration=round(time.perf_counter() - started, 6),
            known=None if known is None else known.status,
            unexpected_pass=known is not None and verdict.status == "pass",
            classes=dict(classes or {}),
            reproduction=self.reproduction if verdict.status in ("fail", "error") else None,
        )
        self.item.user_properties.append((PROPERTY, json.dumps(result.to_json())))


@pytest.fixture
def sc_run(request: pytest.FixtureRequest) -> Iterator[CaseRunner]:
    """Run one corpus case by id (the conformance suite's only fixture)."""
    yield CaseRunner(request.config.stash[SUITE], request.node)


class Recorder:
    """Collects case records where reports are written (the controller under xdist)."""

    def __init__(self, suite: Suite, progress: Progress | None = None) -> None:
        self.suite = suite
        self.progress = progress

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        suite = self.suite
        if "[" not in report.nodeid:
            return
        case_id = report.nodeid.rpartition("[")[2].rstrip("]")
        if case_id in suite.recorded:
            return
        data: dict[str, Any] | None = None
        for name, value in report.user_properties:
            if name == PROPERTY:
                data = json.loads(str(value))
        if data is None:
            if report.when != "call" and not report.failed:
                return
            # the harness itself failed before the case could be judged
            data = CaseResult(
                id=case_id,
                level="?",
                operation="?",
                status="error",
                expected=None,
                actual=None,
                diff=None,
                duration=report.duration,
                message=f"harness error in {report.when}: {report.longreprtext[-2000:]}",
            ).to_json()
        suite.recorded.add(case_id)
        status = data["status"]
        if self.progress is not None:
            self.progress.note(case_id, status)
        suite.counts[status] = suite.counts.get(status, 0) + 1
        if data.get("unexpected_pass"):
            suite.unexpected_passes.append(case_id)
        known = suite.known.get(case_id)
        if known is not None and status != known.status:
            suite.departures.append((case_id, f"listed as {known.status}, ended {status}"))
        suite.records.append(data)
        if suite.writer is not None:
            suite.writer.add(CaseResult(**data))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    suite = session.config.stash.get(SUITE, None)
    if suite is None:
        return
    if suite.writer is not None:
        # under xdist the controller collects nothing itself; xdist sets testscollected
        collected = max(suite.collected, session.testscollected)
        complete = (
            exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
            and len(suite.recorded) == collected
        )
        path = suite.writer.close(complete=complete)
        _write_report(suite, path)
    if suite.adapter is not None:
        suite.adapter.close()
    if suite.strict and suite.departures and not _is_worker(session.config):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _write_report(suite: Suite, results: Path) -> None:
    """report.html beside results.json; a report that cannot be made never fails the run."""
    from harness.report import REPORT_NAME, write_report

    try:
        write_report([results], results.with_name(REPORT_NAME), suite.corpus)
    except Exception as exc:  # the run's verdicts are written; say why the page is not
        print(f"snapconform: could not write {REPORT_NAME}: {type(exc).__name__}: {exc}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    suite = config.stash.get(SUITE, None)
    if suite is None or _is_worker(config):
        return
    tr = terminalreporter
    tr.section("snapconform")
    if suite.identity is not None and suite.profile is not None:
        tr.write_line(
            f"implementation: {suite.identity.name} {suite.identity.version} "
            f"({suite.connectable}), profile {suite.profile.name}"
        )
    tr.write_line("cases: " + summary_counts(suite.records))
    for cls in class_counts(suite.records):
        in_class = [
            {"status": r["classes"][cls], "known": r.get("known")}
            for r in suite.records
            if cls in (r.get("classes") or {})
        ]
        tr.write_line(f"  class {cls}: " + summary_counts(in_class))
    for case_id in suite.unexpected_passes:
        tr.write_line(f"UNEXPECTED PASS: {case_id} is listed as a known failure but passed")
    if suite.strict:
        for case_id, what in suite.departures:
            tr.write_line(f"EXPECTATIONS CHANGED: {case_id}: {what}")
        if suite.departures:
            tr.write_line(
                f"--strict-expectations: {len(suite.departures)} case(s) did not end as the "
                "known-failures file lists; update it on purpose (or fix the regression)"
            )
    if suite.report_dir is not None:
        tr.write_line(
            f"reports: {suite.report_dir}/results.json, {suite.report_dir}/junit.xml, "
            f"{suite.report_dir}/report.html"
        )
