"""The conformance suite end to end on the mini corpus: statuses, reports, known failures,
interruption, and parallel runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.results import load_results

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"


def suite(
    impl: str, report_dir: Path, *extra: str, corpus: Path | None = None
) -> tuple[int, dict[str, Any], str]:
    """Run the conformance suite in a subprocess; return exit code, results.json, output."""
    report_dir = report_dir / "reports"
    env = dict(os.environ, PYTHONPATH=f"{TESTS}{os.pathsep}{REPO}")
    args = [sys.executable, "-m", "pytest", str(REPO / "conformance"), "--impl", impl]
    args += ["--report-dir", str(report_dir), "-q"]
    if corpus is not None:
        args += ["--corpus", str(corpus)]
    proc = subprocess.run(args + list(extra), env=env, capture_output=True, text=True, timeout=600)
    runs = sorted(report_dir.iterdir()) if report_dir.exists() else []
    results = load_results(runs[-1] / "results.json") if runs else {}
    return proc.returncode, results, proc.stdout + proc.stderr


def run_cli(*args: str, path: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``python -m harness ARGS`` in a subprocess, with ``path`` and the repo importable."""
    env = dict(os.environ, PYTHONPATH=f"{path}{os.pathsep}{REPO}")
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in results["results"]}


def test_passing_implementation(mini_corpus: Path, tmp_path: Path) -> None:
    code, results, out = suite(
        "python:impls.tiny", tmp_path, "--profile", "alpha", corpus=mini_corpus
    )
    assert code == 0, out
    assert statuses(results) == {
        "accepted-case": "pass",
        "rejected-case": "pass",
        "semantics-case": "not-applicable",  # tiny supports the syntax level only
    }
    footer = results["footer"]
    assert footer["complete"] is True
    assert footer["counts"]["pass"] == 2 and footer["counts"]["not-applicable"] == 1
    header = results["header"]
    assert header["profile"] == "alpha"
    assert header["implementation"]["name"] == "tiny"
    assert header["corpus_version"] == "test-1"
    junit = next((tmp_path / "reports").iterdir()) / "junit.xml"
    assert 'tests="3"' in junit.read_text()


def test_undefined_profile_is_not_applicable(mini_corpus: Path, tmp_path: Path) -> None:
    code, results, out = suite(
        "python:impls.tiny", tmp_path, "--profile", "beta", corpus=mini_corpus
    )
    assert code == 0, out
    # beta defines only accepted-case
    assert statuses(results) == {
        "accepted-case": "pass",
        "rejected-case": "not-applicable",
        "semantics-case": "not-applicable",
    }


def test_failures_and_errors_fail_the_run(mini_corpus: Path, tmp_path: Path) -> None:
    code, results, out = suite("python:impls.fake:echo", tmp_path, corpus=mini_corpus)
    assert code == 1
    assert statuses(results) == {
        "accepted-case": "fail",
        "rejected-case": "fail",
        "semantics-case": "fail",
    }
    record = next(r for r in results["results"] if r["id"] == "accepted-case")
    assert "delete-attribute" in record["diff"] and "--- expected" in record["diff"]
    assert "delete-attribute" in out  # the diff is in the pytest output too
    code, results, out = suite("python:impls.fake:crash", tmp_path / "c", corpus=mini_corpus)
    assert code == 1
    assert set(statuses(results).values()) == {"error"}
    assert "RuntimeError: boom" in out


def test_hanging_implementation_costs_one_timeout_per_case(
    mini_corpus: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    code, results, _ = suite(
        "python:impls.fake:hang", tmp_path, "--impl-timeout", "0.5", corpus=mini_corpus
    )
    assert code == 1
    assert set(statuses(results).values()) == {"error"}
    assert time.monotonic() - started < 60


def test_known_failures_and_unexpected_pass(mini_corpus: Path, tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    known.write_text(
        json.dumps(
            {
                "implementation": "tiny, deliberately mislabelled",
                "cases": {"accepted-case": {"status": "fail", "reason": "test: not really"}},
            }
        )
    )
    code, results, out = suite(
        "python:impls.tiny",
        tmp_path / "r",
        "--profile",
        "alpha",
        "--expectations",
        str(known),
        corpus=mini_corpus,
    )
    assert code == 0, out  # an unexpected pass is reported, not a failure
    assert "UNEXPECTED PASS: accepted-case" in out
    assert results["footer"]["counts"]["unexpected-pass"] == 1
    known.write_text(
        json.dumps({"cases": {"rejected-case": {"status": "fail", "reason": "echo accepts all"}}})
    )
    code, results, out = suite(
        "python:impls.fake:echo", tmp_path / "e", "--expectations", str(known), corpus=mini_corpus
    )
    assert code == 1  # the other two cases still fail unexpectedly
    rejected = next(r for r in results["results"] if r["id"] == "rejected-case")
    assert rejected["status"] == "fail" and rejected["known"] == "fail"


def test_bad_expectations_file(mini_corpus: Path, tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    known.write_text(json.dumps({"cases": {"no-such-case": {"status": "fail", "reason": "x"}}}))
    code, _, out = suite(
        "python:impls.tiny", tmp_path / "r", "--expectations", str(known), corpus=mini_corpus
    )
    assert code == 4  # pytest usage error
    assert "no-such-case: no such case in the corpus" in out


def test_unknown_profile_and_broken_corpus_are_usage_errors(
    mini_corpus: Path, tmp_path: Path
) -> None:
    code, _, out = suite("python:impls.tiny", tmp_path, "--profile", "nope", corpus=mini_corpus)
    assert code == 4 and "unknown profile 'nope'" in out
    code, _, out = suite("python:impls.tiny", tmp_path, corpus=mini_corpus)
    assert code == 4 and "cannot tell which profile applies" in out
    (mini_corpus / "cases/accepted-case/case.json").write_text("{")
    code, _, out = suite("python:impls.tiny", tmp_path, "--profile", "alpha", corpus=mini_corpus)
    assert code == 4 and "cannot read JSON" in out


def test_parallel_run_gives_the_same_results(mini_corpus: Path, tmp_path: Path) -> None:
    _, serial, _ = suite("python:impls.fake:echo", tmp_path / "s", corpus=mini_corpus)
    _, parallel, out = suite(
        "python:impls.fake:echo", tmp_path / "p", "-n", "2", corpus=mini_corpus
    )
    assert statuses(parallel) == statuses(serial), out
    assert parallel["footer"]["complete"] is True


def test_interrupted_run_leaves_a_valid_partial_report(mini_corpus: Path, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=f"{TESTS}{os.pathsep}{REPO}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            str(REPO / "conformance"),
            "--corpus",
            str(mini_corpus),
            "--impl",
            "python:impls.fake:hang",
            "--impl-timeout",
            "30",
            "--report-dir",
            str(tmp_path / "reports"),
            "-q",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(tmp_path.glob("reports/*/results.json")):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    results = load_results(next(tmp_path.glob("reports/*/results.json")))
    assert results["footer"]["complete"] is False


@pytest.mark.needs("virsh")
def test_dry_run_prints_commands_and_judges_nothing(tmp_path: Path) -> None:
    proc = run_cli(
        "run",
        "--impl",
        "virsh:test:///default",
        "--dry-run",
        "-k",
        "sem-mem-omit-running",
        "-q",
        "--report-dir",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "[dry-run] virsh -c test:///default snapshot-create" in proc.stderr + proc.stdout
    results = load_results(next(tmp_path.glob("*/results.json")))
    assert results["results"]
    assert {r["status"] for r in results["results"]} == {"not-applicable"}
