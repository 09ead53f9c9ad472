"""``snapconform``: run the conformance suite, lint a corpus, list cases."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import __version__
from harness.connectables import DEFAULT_CONNECTABLE, KINDS
from harness.corpus.lint import check
from harness.corpus.loader import load_corpus
from harness.corpus.model import CorpusError
from harness.paths import conformance_dir, default_corpus


def _run(args: argparse.Namespace, extra: list[str]) -> int:
    import pytest

    pytest_args = [
        str(conformance_dir()),
        "--impl",
        args.impl,
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
    if args.k:
        pytest_args += ["-k", args.k]
    if args.n is not None:
        pytest_args += ["-n", args.n]
    if args.quiet:
        pytest_args.append("-q")
    return int(pytest.main(pytest_args + extra))


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
    for case in corpus.cases:
        if args.level and case.level != args.level:
            continue
        if args.tag and not set(args.tag) <= set(case.tags):
            continue
        if args.profile and args.profile not in case.profiles():
            continue
        print(f"{case.id}\t{case.description}" if args.long else case.id)
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
        "--impl", default=DEFAULT_CONNECTABLE, help=f"KIND:TARGET (default {DEFAULT_CONNECTABLE})"
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

    chk = sub.add_parser("check", help="lint a corpus (ours by default)")
    chk.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    chk.add_argument("--no-rng", action="store_true", help="skip the libvirt RELAX NG checks")

    lst = sub.add_parser("list", help="print case ids, one per line")
    lst.add_argument("--corpus", help="corpus directory (default: the bundled corpus)")
    lst.add_argument("--level", choices=["syntax", "semantics", "host"])
    lst.add_argument("--tag", action="append", help="only cases with this tag (repeatable)")
    lst.add_argument("--profile", help="only cases defined for this profile")
    lst.add_argument("-l", "--long", action="store_true", help="also print descriptions")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(args, extra)
    if args.command == "check":
        return _check(args)
    return _list(args)


if __name__ == "__main__":
    raise SystemExit(main())
