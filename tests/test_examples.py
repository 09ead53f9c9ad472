"""The outside implementation in examples/ runs as its README says."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_suite import run_cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "minimal"


def test_snapmin_runs_clean_with_its_known_failures(tmp_path: Path) -> None:
    proc = run_cli(
        "run",
        "--impl",
        "python:snapmin",
        "-q",
        "--expectations",
        str(EXAMPLE / "known-failures.json"),
        "--report-dir",
        str(tmp_path),
        path=EXAMPLE,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    results = json.loads(next(tmp_path.glob("*/results.json")).read_text())
    known = json.loads((EXAMPLE / "known-failures.json").read_text())["cases"]
    by_status: dict[str, set[str]] = {}
    for r in results["results"]:
        by_status.setdefault(r["status"], set()).add(r["id"])
    assert by_status.get("fail", set()) == set(known)  # fails exactly what it says it does
    assert all(r["level"] == "syntax" for r in results["results"] if r["status"] == "pass")
    assert results["footer"]["counts"]["unexpected-pass"] == 0
    # the listed failures are named as expected ones, on screen and in results.json
    assert results["footer"]["counts"]["expected-failure"] == len(known)
    summary = next(line for line in proc.stdout.splitlines() if line.startswith("cases: "))
    passed = len(by_status["pass"])
    assert summary.startswith(f"cases: {passed} pass, {len(known)} expected failures, 0 fail, ")
