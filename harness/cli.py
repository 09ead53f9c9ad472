"""``snapconform``: run the conformance suite, lint a corpus, list cases."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import __version__
from harness.connectables import DEFAULT_CONNECTABLE, KINDS
from harness.corpus.lint import check
from harness.corpus.loader import load_corpus
from harness.corpus.model import Corpus, CorpusError
from harness.host import cli as host_cli
from harness.http.serve import add_arguments as serve_arguments
from harness.http.serve import serve
from harness.paths import conformance_dir, default_corpus
from harness.table.loader import load_table, missing_table, table_files


def _record_path(record: str, index: int, count: int) -> str:
    """The transcript of target ``index``: FILE itself for one target, FILE-N... for several."""
    path = Path(record).resolve()
    if count == 1:
        return str(path)
    suffixes = "".join(path.suffixes)
    stem = path.name[: len(path.name) - len(suffixes)] if suffixes else path.name
    return str(path.with_name(f"{stem}-{index}{suffixes}"))


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    """One run per --impl (each with its own fixtures, profile, results file); with several,
    also one matrix of them all, ``REPORT_DIR/matrix.html``."""
    impls = args.impl or [DEFAULT_CONNECTABLE]
    if len(impls) == 1:
        return _run_one(argparse.Namespace(**{**vars(args), "impl": impls[0]}), extra, 0, 1)
    report_dir = Path(args.report_dir).resolve()
    before = set(report_dir.glob("*/results.json")) if report_dir.is_dir() else set()
    codes = []
    for index, impl in enumerate(impls, 1):
        print(f"=== target {index}/{len(impls)}: {impl}", flush=True)
        one = argparse.Namespace(**{**vars(args), "impl": impl})
        codes.append(_run_one(one, extra, index, len(impls)))
    made = sorted(set(report_dir.glob("*/results.json")) - before)
    if made:
        from harness.report import write_report
        from harness.results import ResultsError

        corpus = _load_corpus_quietly(args.corpus)
        try:
            out = write_report(made, report_dir / "matrix.html", corpus)
            print(f"matrix of {len(made)} run(s): {out}")
        except (ResultsError, OSError) as exc:
            print(f"could not write the matrix: {exc}", file=sys.stderr)
    for impl, code in zip(impls, codes, strict=True):
        print(f"{impl}: exit status {code}")
    return max(codes) if all(c >= 0 for c in codes) else 1


def _run_one(args: argparse.Namespace, extra: list[str], index: int, count: int) -> int:
    import pytest

    pytest_args = [
        str(conformance_dir()),
        "--impl",
        host_cli.impl_for(args, DEFAULT_CONNECTABLE),
        "--report-dir",
        str(Path(args.report_dir).resolve()),
    ]
    if args.profile:
        pytest_args += ["--profile", args.profile]
    if args.corpus:
        pytest_args += ["--corpus", str(Path(args.corpus).resolve())]
    if args.expectations:
        pytest_args += ["--expectations", str(Path(args.expectations).resolve())]
    if args.timeout is not None:
        pytest_args += ["--impl-timeout", str(args.timeout)]
    if args.record:
        pytest_args += ["--record", _record_path(args.record, index, count)]
    if args.k:
        pytest_args += ["-k", args.k]
    if args.n is not None:
        pytest_args += ["-n", args.n]
    if args.quiet:
        pytest_args.append("-q")
    for name in args.classes or ():
        pytest_args += ["--class", name]
    for level in args.level or ():
        pytest_args += ["--level", level]
    for tag in args.tag or ():
        pytest_args += ["--tag", tag]
    if args.strict_expectations:
        pytest_args.append("--strict-expectations")
    pytest_args += host_cli.pytest_arguments(args)
    return int(pytest.main(pytest_args + extra))


def _load_corpus_quietly(corpus: str | None) -> Corpus | None:
    try:
        return load_corpus(Path(corpus) if corpus else default_corpus())
    except CorpusError as exc:
        print("cannot load the corpus:\n  " + "\n  ".join(exc.problems), file=sys.stderr)
        return None


def _report(args: argparse.Namespace) -> int:
    from harness.report import write_report
    from harness.results import ResultsError

    corpus = _load_corpus_quietly(args.corpus)
    if corpus is None:
        return 1
    paths: list[Path] = []
    for given in map(Path, args.results):
        if given.is_dir():  # a report directory: every run under it
            found = [given / "results.json"] if (given / "results.json").exists() else []
            paths += found or sorted(given.glob("*/results.json"))
        else:
            paths.append(given)
    if not paths:
        print(f"no results.json under {', '.join(args.results)}", file=sys.stderr)
        return 1
    try:
        out = write_report(paths, Path(args.output), corpus, args.title)
    except ResultsError as exc:
        print(f"cannot read a results file: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(paths)} implementation(s))")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from harness.gate import GateRefusal, compare_runs
    from harness.results import ResultsError, load_results

    corpus = _load_corpus_quietly(args.corpus)
    if corpus is None:
        return 2
    try:
        base, new = load_results(Path(args.base)), load_results(Path(args.new))
    except ResultsError as exc:
        print(f"cannot read a results file: {exc}", file=sys.stderr)
        return 2
    try:
        result = compare_runs(base, new, corpus.renames, allow_different=args.allow_different)
    except GateRefusal as exc:
        print(f"refusing to compare: {exc}", file=sys.stderr)
        return 2
    print(result.text())
    return 1 if result.regressed else 0


def _update_expectations(args: argparse.Namespace) -> int:
    import json

    from harness.expectations import ExpectationsError
    from harness.results import ResultsError, atomic_write, load_results
    from harness.update_expectations import update_expectations

    when: dict[str, str] = {}
    for item in args.when or ():
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            print(
                f"--when {item!r}: expected NAME=VALUE, e.g. libvirt='>=9.0,<10'", file=sys.stderr
            )
            return 2
        when[key] = value
    target = Path(args.output) if args.output else None
    try:
        document = load_results(Path(args.results))
        update = update_expectations(document, target, when)
    except (ResultsError, ExpectationsError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    text = json.dumps(update.data, indent=2, ensure_ascii=False) + "\n"
    if target is None:
        sys.stdout.write(text)
    else:
        atomic_write(target, text.encode("utf-8"))
    print(f"{target or 'stdout'}: {update.summary()}", file=sys.stderr)
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from harness.corpus import coverage as cov
    from harness.corpus.lint import LINT_TOKENS
    from harness.corpus.loader import scan
    from harness.corpus.model import CorpusError

    root = Path(args.corpus) if args.corpus else default_corpus()
    schema = Path(args.schema) if args.schema else cov.SCHEMA
    if not schema.is_file():
        if args.if_installed:
            print(f"notice: {schema} not found: schema coverage was not computed", file=sys.stderr)
            return 0
        print(f"{schema} not found: install libvirt's schemas (libvirt-clients)", file=sys.stderr)
        return 2
    try:
        corpus, _problems = scan(root)
        result = cov.coverage(corpus, root, LINT_TOKENS, schema)
    except (CorpusError, OSError, ValueError) as exc:
        print(f"cannot compute coverage of {root}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        items = [
            {"item": i, "kind": k, "cases": result.cases[i], "exception": result.exceptions.get(i)}
            for i, k in result.items.items()
        ]
        print(json.dumps({"schema": str(schema), "percent": result.percent(), "items": items}))
    else:
        for item, kind in result.items.items():
            cases = result.cases[item]
            if cases:
                shown = ", ".join(cases[:4]) + (f" (+{len(cases) - 4})" if len(cases) > 4 else "")
                print(f"{item} [{kind}]: {len(cases)} case(s): {shown}")
            elif item in result.exceptions:
                print(f"{item} [{kind}]: no case (exception: {result.exceptions[item]})")
            else:
                print(f"{item} [{kind}]: NO CASE")
        covered = sum(1 for i in result.items if result.cases[i])
        print(
            f"{schema}: {covered}/{len(result.items)} elements and attributes exercised "
            f"({result.percent():.1f} %), {len(result.exceptions)} explained exception(s)"
        )
    found = cov.problems(result)
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


def _check(args: argparse.Namespace) -> int:
    root = Path(args.corpus) if args.corpus else default_corpus()
    report = check(root, use_rng=not args.no_rng)
    for notice in report.notices:
        print(f"notice: {notice}", file=sys.stderr)
    if report.problems:
        print(f"{root}: {len(report.problems)} problem(s):")
        for problem in report.problems:
            print(f"  {problem}")
        return 1
    count = len(report.corpus.cases) if report.corpus else 0
    print(f"{root}: {count} cases, no problems")
    return 0


def _list(args: argparse.Namespace) -> int:
    root = Path(args.corpus) if args.corpus else default_corpus()
    try:
        corpus = load_corpus(root)
    except CorpusError as exc:
        print("cannot load the corpus:\n  " + "\n  ".join(exc.problems), file=sys.stderr)
        return 1
    if args.cells and args.cells not in table_files(root):
        print(missing_table(root, args.cells), file=sys.stderr)
        return 1
    for case in corpus.cases:
        if args.level and case.level != args.level:
            continue
        if args.tag and not set(args.tag) <= set(case.tags):
            continue
        if args.profile and args.profile not in case.profiles():
            continue
        print(f"{case.id}\t{case.description}" if args.long else case.id)
    if args.cells:
        for key in sorted(load_table(root, args.cells).defined_cells()):
            print(f"{key.id}\t{key.describe()}" if args.long else key.id)
    return 0


def _rules(args: argparse.Namespace) -> int:
    from harness.rules import coverage, load_catalogue, render, universe

    root = Path(args.corpus) if args.corpus else default_corpus()
    try:
        corpus = load_corpus(root)
        catalogue = load_catalogue(root)
    except CorpusError as exc:
        print("cannot load the corpus:\n  " + "\n  ".join(exc.problems), file=sys.stderr)
        return 1
    unknown = sorted(set(args.rule or ()) - catalogue.ids())
    if unknown:
        print(f"no rule {', '.join(unknown)} in {root}/rules.json", file=sys.stderr)
        return 1
    world = universe(corpus)
    if args.json:
        import json

        covered = coverage(catalogue, world)
        wanted = set(args.rule) if args.rule else catalogue.ids()
        out = [
            {
                "id": r.id,
                "statement": r.statement,
                "profiles": list(r.profiles),
                "cases": {c: list(p) for c, p in covered[r.id].items()},
            }
            for r in catalogue.rules
            if r.id in wanted
        ]
        print(json.dumps(out, indent=2))
        return 0
    print(render(catalogue, world, args.rule or None))
    return 0


def _table(args: argparse.Namespace) -> int:
    from harness.results import ResultsError, load_results
    from harness.table.loader import load_axes
    from harness.table.model import CellKey
    from harness.table.render import render

    root = Path(args.corpus) if args.corpus else default_corpus()
    if args.measure:
        return _measure(args, root)
    try:
        axes = load_axes(root)
        table = load_table(root, args.profile, axes)
    except CorpusError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    statuses: dict[CellKey, str] | None = None
    if args.results:
        try:
            results = load_results(Path(args.results))
        except (ResultsError, OSError) as exc:
            print(f"cannot read {args.results}: {exc}", file=sys.stderr)
            return 1
        by_id = {r["id"]: r["status"] for r in results["results"]}
        statuses = {k: by_id[k.id] for k in table.cells() if k.id in by_id}
    print(f"# {table.profile}: {table.description}")
    marks_text = _break_marks(root, table.profile)
    if marks_text is None:
        print(render(table, statuses, axes))
        return 0
    marks, legend = marks_text
    print(render(table, statuses, axes, marks))
    if legend:
        print("\n".join(legend))
    return 0


def _break_marks(root: Path, profile: str) -> tuple[dict[int, tuple[str, ...]], list[str]] | None:
    """The table printout's rule marks: row index -> the stated rules the row breaks, and a
    legend naming each rule and the corpus cases of ``profile`` that break stated rules too.
    None without a (valid) rule catalogue."""
    from harness import breaks
    from harness.rules import load_catalogue, rules_path
    from harness.table.rulediff import row_marks, rule_label

    if not rules_path(root).is_file():
        return None
    try:
        catalogue = load_catalogue(root)
        corpus = load_corpus(root)
        tables = {p: load_table(root, p) for p in table_files(root)}
    except CorpusError:
        return None
    marks = row_marks(catalogue, tables, profile)
    cases = [
        (c.id, ids)
        for c in corpus.cases
        if (ids := breaks.case_breaks(catalogue, corpus, c, profile))
    ]
    named = dict.fromkeys(
        [r for ids in marks.values() for r in ids] + [r for _, ids in cases for r in ids]
    )
    legend: list[str] = []
    if named:
        legend.append(f"!breaks: {profile} contradicts a rule the seed or libvirt's docs state")
        legend.extend(f"  {rule_label(catalogue, r)}" for r in named)
    if cases:
        legend.append(f"corpus cases whose {profile} expectation breaks a stated rule:")
        legend.extend(f"  {case}  !breaks {', '.join(ids)}" for case, ids in cases)
    return marks, legend


def _measure(args: argparse.Namespace, root: Path) -> int:
    from harness.adapters.base import AdapterError
    from harness.connectables import connect
    from harness.table.measure import measure_table

    if args.measure.startswith("python:"):
        print(
            "refusing to measure a python: implementation: a table is measured on a real "
            "libvirt (virsh:URI or libvirt:URI), never on our own code",
            file=sys.stderr,
        )
        return 2
    if not args.source:
        print("--measure needs --source (e.g. libvirt-9.0.0-live-qemu)", file=sys.stderr)
        return 2
    try:
        adapter = connect(args.measure)
        text, count = measure_table(
            adapter,
            root,
            args.profile,
            args.source,
            args.measure,
            missing_only=args.missing,
            only=args.cells,
            progress=lambda c: print(f"measuring {c.id}", file=sys.stderr),
        )
    except AdapterError as exc:
        print(f"{args.measure}: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"a cell errored, nothing written: {exc}", file=sys.stderr)
        return 1
    finally:
        if "adapter" in locals():
            adapter.close()
    if not args.write:
        sys.stdout.write(text)
        return 0
    target = root / "tables" / f"{args.profile}.json"
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({count} cells measured); review the diff", file=sys.stderr)
    _record_breaks(root)
    return 0


def _record_breaks(root: Path) -> None:
    """Record anew the rules each profile breaks (harness/breaks.py), which follow from the
    expectations and tables just written: so a measured or confirmed corpus passes check."""
    from harness.breaks_record import write
    from harness.rules import load_catalogue

    tables = {p: load_table(root, p) for p in table_files(root)}
    for path in write(root, load_catalogue(root), load_corpus(root), tables):
        print(f"recorded the stated rules it breaks: {path}", file=sys.stderr)


def _confirm(args: argparse.Namespace) -> int:
    import uuid

    from harness.adapters.base import AdapterError
    from harness.confirm import confirm_corpus
    from harness.connectables import connect

    if not args.impl.startswith(("virsh:", "libvirt:")):
        print(
            f"refusing to confirm on {args.impl!r}: expectations are confirmed on a real libvirt "
            "(virsh:URI or libvirt:URI), never on our own code or a replay",
            file=sys.stderr,
        )
        return 2
    if args.allow_host:
        os.environ["SNAPCONFORM_ALLOW_HOST"] = "1"
    root = Path(args.corpus) if args.corpus else default_corpus()
    try:
        adapter = connect(args.impl)
    except AdapterError as exc:
        print(f"{args.impl}: {exc}", file=sys.stderr)
        return 1
    try:
        report = confirm_corpus(
            adapter,
            root,
            args.profile,
            args.source,
            only=args.cases,
            write=args.write,
            new_uuid=lambda: str(uuid.uuid4()),
            progress=None if args.quiet else lambda c: print(f"confirming {c}", file=sys.stderr),
        )
    except (AdapterError, ValueError, CorpusError) as exc:
        print(f"{args.impl}: {exc}", file=sys.stderr)
        return 1
    finally:
        adapter.close()
    if report.written:
        _record_breaks(root)
    for c in report.confirmations:
        if c.status not in ("confirmed", "skipped") or args.verbose:
            print(f"{c.status:12} {c.case_id}" + (f": {c.why}" if c.why else ""))
    print(
        f"{args.profile}: {report.summary()}" + ("" if args.write else " (dry: --write to record)")
    )
    return 1 if report.count("unconfirmed") else 0


def _diff_profiles(args: argparse.Namespace) -> int:
    from harness.rules import Catalogue, load_catalogue, rules_path
    from harness.table.rulediff import diff_text, history_markdown

    root = Path(args.corpus) if args.corpus else default_corpus()
    if len(args.profiles) < 2:
        print("snapconform diff-profiles: give two profiles (or more, with --markdown)")
        return 2
    if len(args.profiles) > 2 and not args.markdown:
        print("snapconform diff-profiles: more than two profiles need --markdown", file=sys.stderr)
        return 2
    try:
        for name in args.profiles:
            load_table(root, name)
        tables = {p: load_table(root, p) for p in table_files(root)}
        has_rules = rules_path(root).is_file()
        catalogue = load_catalogue(root) if has_rules else Catalogue(())
    except CorpusError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    if args.markdown:
        sys.stdout.write(history_markdown(catalogue, tables, args.profiles))
    else:
        print(diff_text(catalogue, tables, args.profiles[0], args.profiles[1]))
    return 0


def _breaks(args: argparse.Namespace) -> int:
    from harness import breaks
    from harness.breaks_record import write
    from harness.rules import load_catalogue
    from harness.table.rulediff import rule_label

    root = Path(args.corpus) if args.corpus else default_corpus()
    try:
        catalogue = load_catalogue(root)
        corpus = load_corpus(root)
        tables = {p: load_table(root, p) for p in table_files(root)}
    except CorpusError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 1
    if args.write:
        for path in write(root, catalogue, corpus, tables):
            print(f"wrote {path}", file=sys.stderr)
        return 0
    profiles = [args.profile] if args.profile else sorted(corpus.profiles)
    for profile in profiles:
        cells = breaks.cell_breaks(catalogue, tables, profile) if profile in tables else {}
        cases = [
            (c.id, ids)
            for c in corpus.cases
            if (ids := breaks.case_breaks(catalogue, corpus, c, profile))
        ]
        print(f"{profile}: {len(cells)} cell(s) and {len(cases)} case(s) break stated rules")
        by_rule: dict[str, list[str]] = {}
        for key, ids in sorted(cells.items()):
            for r in ids:
                by_rule.setdefault(r, []).append(key.id)
        for case, ids in cases:
            for r in ids:
                by_rule.setdefault(r, []).append(case)
        for rule_id, items in by_rule.items():
            print(f"  {rule_label(catalogue, rule_id)}")
            for item in items:
                print(f"    {item}")
    return 0


def _explore(args: argparse.Namespace) -> int:
    import os

    from harness.adapters.base import AdapterError
    from harness.connectables import connect

    if len(args.impl) != 2:
        print("snapconform explore: give exactly two --impl", file=sys.stderr)
        return 2
    try:
        from harness.explore import covered_by, explore, table_cells, write_candidates
    except ImportError as exc:
        print(
            f"snapconform explore needs hypothesis (pip install hypothesis): {exc}", file=sys.stderr
        )
        return 2
    if args.allow_host:
        os.environ["SNAPCONFORM_ALLOW_HOST"] = "1"
    adapters = []
    try:
        for impl in args.impl:
            adapters.append(connect(impl))
        for adapter in adapters:
            adapter.identify()
        found, explorer = explore(
            adapters[0], adapters[1], args.budget, lambda line: print(line, file=sys.stderr)
        )
    except AdapterError as exc:
        print(f"snapconform explore: {exc}", file=sys.stderr)
        return 1
    finally:
        for adapter in adapters:
            adapter.close()
    cells = table_cells(default_corpus())
    covering = [covered_by(d.scenario, cells) for d in found]
    written = write_candidates(found, Path(args.out), args.impl[0], args.impl[1], covering)
    print(
        f"{explorer.runs} requests run ({explorer.errored} errored, skipped); "
        f"{len(found)} distinct disagreements ({covering.count(None)} that no table cell asks), "
        f"written as candidates to {args.out}"
    )
    for folder, cell in zip(written, covering, strict=True):
        print(f"  {folder}" + (f" (table cell {cell} asks the same)" if cell else " (new)"))
    for scenario, side, message in explorer.errors:
        impl = args.impl[0] if side == "A" else args.impl[1]
        print(f"  errored on {impl}: {scenario}: {message[:300]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapconform",
        description="Conformance suite for libvirt's domain snapshot XML.",
    )
    parser.add_argument("--version", action="version", version=f"snapconform {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run the conformance suite against an implementation",
        description="Run the corpus through an implementation (a thin front over pytest; "
        "arguments after -- go to pytest). Exit status 0 only when nothing unexpected failed.",
        epilog="implementation kinds:\n  " + "\n  ".join(KINDS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--impl",
        action="append",
        help=f"KIND:TARGET (default {DEFAULT_CONNECTABLE}); repeatable: one run per target, "
        "then one matrix of them all (REPORT_DIR/matrix.html)",
    )
    run.add_argument(
        "--profile", help="profile to judge by (default: detected from the implementation)"
    )
    run.add_argument("-k", help="only cases matching this pytest -k expression")
    run.add_argument("-n", help="parallel workers (pytest-xdist), e.g. 4 or auto")
    run.add_argument("--report-dir", default="reports", help="reports go to DIR/<run-id>/")
    run.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    run.add_argument("--expectations", help="JSON file of this implementation's known failures")
    run.add_argument("--timeout", type=float, help="seconds one request may take (default 30)")
    run.add_argument("-q", "--quiet", action="store_true", help="less pytest output")
    run.add_argument(
        "--record",
        metavar="FILE",
        help="keep a transcript of the conversation (FILE.gz: compressed); "
        "replay it offline with --impl replay:FILE",
    )
    run.add_argument(
        "--class",
        dest="classes",
        action="append",
        choices=["model", "libvirt-format", "semantics", "host"],
        help="only cases of this conformance class, judged in it alone (repeatable)",
    )
    run.add_argument(
        "--level",
        action="append",
        choices=["syntax", "semantics", "host"],
        help="only cases of this level (repeatable; table cells are semantics)",
    )
    run.add_argument(
        "--tag", action="append", help="only cases with this tag (repeatable: all of them)"
    )
    run.add_argument(
        "--strict-expectations",
        "--strict",
        action="store_true",
        help="with --expectations: fail when a listed case passes or ends otherwise than "
        "listed, so a change in results needs the file updated on purpose",
    )
    host_cli.add_run_arguments(run)
    host_cli.add_cleanup_parser(sub)

    chk = sub.add_parser("check", help="lint a corpus (ours by default)")
    chk.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    chk.add_argument("--no-rng", action="store_true", help="skip the libvirt RELAX NG checks")

    srv = sub.add_parser(
        "serve",
        help="expose an implementation over the HTTP contract (docs/http.md)",
        description="Serve an implementation at /v1/identify and /v1/run (OpenAPI at "
        "/openapi.json). Loopback only unless a token is set.",
    )
    serve_arguments(srv)

    lst = sub.add_parser("list", help="print case ids, one per line")
    lst.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    lst.add_argument("--level", choices=["syntax", "semantics", "host"])
    lst.add_argument("--tag", action="append", help="only cases with this tag (repeatable)")
    lst.add_argument("--profile", help="only cases defined for this profile")
    lst.add_argument("-l", "--long", action="store_true", help="also print descriptions")
    lst.add_argument(
        "--cells", metavar="PROFILE", help="also the defined cells of PROFILE's table (table-...)"
    )

    rls = sub.add_parser(
        "rules", help="print the rule catalogue's coverage map: rule -> cases -> profiles"
    )
    rls.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    rls.add_argument("--rule", action="append", help="only this rule (repeatable)")
    rls.add_argument("--json", action="store_true", help="the map as JSON")

    cvg = sub.add_parser(
        "coverage",
        help="which elements and attributes of libvirt's installed domainsnapshot.rng the "
        "corpus exercises, case by case",
    )
    cvg.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    cvg.add_argument("--schema", help="the schema (default: libvirt's installed one)")
    cvg.add_argument("--json", action="store_true", help="the map as JSON")
    cvg.add_argument(
        "--if-installed",
        action="store_true",
        help="without the schema, say so and exit 0 (tox -e py on a machine without libvirt)",
    )

    mut = sub.add_parser(
        "mutants",
        help="run every rule's mutants against the rule's cases; non-zero on a survivor",
        description="Each mutant is wrong in one rule of corpus/rules.json; the cases of that "
        "rule must kill it (docs/rules.md).",
    )
    from harness.mutants.run import add_arguments as mutants_arguments

    mutants_arguments(mut)

    tbl = sub.add_parser("table", help="print a profile's combination table in the seed's layout")
    tbl.add_argument("--profile", required=True)
    tbl.add_argument("--results", help="a results.json: mark each row with the run's verdict")
    tbl.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    tbl.add_argument(
        "--measure",
        metavar="CONNECTABLE",
        help="run every cell on this real libvirt and print (or --write) the measured table",
    )
    tbl.add_argument("--source", help="with --measure: provenance source of the rows")
    tbl.add_argument("--write", action="store_true", help="with --measure: write corpus/tables/")
    tbl.add_argument(
        "--missing", action="store_true", help="with --measure: only the cells the table lacks"
    )
    tbl.add_argument(
        "--cells",
        metavar="GLOB",
        help="with --measure: only the cells whose id matches (e.g. '*-no-metadata'); "
        "the table's other rows are kept",
    )

    rep = sub.add_parser(
        "report",
        help="one self-contained HTML matrix from any number of results.json files",
    )
    rep.add_argument(
        "results",
        nargs="+",
        help="results.json files, one column each (a directory: every DIR/*/results.json)",
    )
    rep.add_argument("-o", "--output", default="report.html", help="default report.html")
    rep.add_argument("--title", default="snapconform conformance matrix")
    rep.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")

    cmp = sub.add_parser(
        "compare",
        help="compare two runs: new failures, fixes, new/removed cases (exit 1 on a regression)",
    )
    cmp.add_argument("base", help="results.json of the base run")
    cmp.add_argument("new", help="results.json of the new run")
    cmp.add_argument(
        "--allow-different",
        action="store_true",
        help="compare runs of different implementations or profiles",
    )
    cmp.add_argument("--corpus", help="corpus directory whose renames.json applies")

    upd = sub.add_parser(
        "update-expectations",
        help="write or update a known-failures file from a run, keeping existing reasons",
    )
    upd.add_argument("results", help="results.json of the run")
    upd.add_argument("-o", "--output", help="known-failures file to update (default: stdout)")
    upd.add_argument(
        "--when",
        action="append",
        metavar="NAME=VALUE",
        help="condition of the new entries, e.g. libvirt='>=9.0,<10' or driver=qemu",
    )

    exp = sub.add_parser(
        "explore",
        help="run drawn requests on two implementations; write their disagreements as candidates",
        description="Differential exploration (needs hypothesis, the test extra): each "
        "disagreement is shrunk and written to --out as a candidate case, never an expectation.",
    )
    exp.add_argument("--impl", action="append", required=True, help="KIND:TARGET (give two)")
    exp.add_argument("--budget", type=int, default=50, help="requests drawn (default 50)")
    exp.add_argument("--out", default="candidates", help="folder for candidates")
    exp.add_argument("--allow-host", action="store_true", help="as for run (docs/host.md)")

    cnf = sub.add_parser(
        "confirm",
        help="run every corpus case on a real libvirt and record its expectations for a profile",
    )
    cnf.add_argument(
        "--impl", required=True, metavar="CONNECTABLE", help="virsh:URI or libvirt:URI"
    )
    cnf.add_argument("--profile", required=True)
    cnf.add_argument("--source", required=True, help="provenance source (one the profile accepts)")
    cnf.add_argument("--cases", metavar="GLOB", help="only the cases whose id matches")
    cnf.add_argument("--write", action="store_true", help="write the cases (default: report only)")
    cnf.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    cnf.add_argument("--allow-host", action="store_true", help="as for run (docs/host.md)")
    cnf.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    cnf.add_argument("-v", "--verbose", action="store_true", help="list confirmed cases too")

    dif = sub.add_parser(
        "diff-profiles",
        help="cells on which two profiles' tables disagree, with the rules involved",
    )
    dif.add_argument("profiles", nargs="+", metavar="PROFILE", help="A B (or a chain)")
    dif.add_argument(
        "--markdown",
        action="store_true",
        help="the behaviour history of a chain of profiles (oldest first), as in the README",
    )
    dif.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")

    brk = sub.add_parser(
        "breaks", help="the rules stated by the seed or libvirt's docs that each profile breaks"
    )
    brk.add_argument("--profile", help="only this profile")
    brk.add_argument(
        "--write", action="store_true", help="record them as 'breaks' in the tables and cases"
    )
    brk.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    args = build_parser().parse_args(argv)
    try:
        code = _dispatch(args, extra)
        sys.stdout.flush()  # a closed pipe shows here, where it can still be caught
        return code
    except BrokenPipeError:
        # the reader went away (`snapconform list | head`): stop quietly, and keep Python
        # from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _dispatch(args: argparse.Namespace, extra: list[str]) -> int:
    if args.command == "run":
        return _run(args, extra)
    if args.command == "serve":
        return serve(args)
    commands = {
        "check": _check,
        "list": _list,
        "table": _table,
        "diff-profiles": _diff_profiles,
        "breaks": _breaks,
    }
    commands["rules"] = _rules
    commands |= {
        "report": _report,
        "compare": _compare,
        "update-expectations": _update_expectations,
    }
    commands["coverage"] = _coverage
    if args.command == "mutants":
        from harness.mutants.run import main as mutants_main

        return mutants_main(args)
    commands["cleanup"] = host_cli.cleanup_main
    commands["explore"] = _explore
    commands["confirm"] = _confirm
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
