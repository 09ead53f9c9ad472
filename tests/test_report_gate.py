"""The HTML matrix, compare and update-expectations, on real runs of the suite.

The runs are the reference implementation (passes everything) and a deliberately wrong one
(``tests.impls.wrong:no_memory``, which never writes ``<memory>``) over the same cases; which
cases the wrong one fails is established by test_wrong_impls.py from the corpus's data.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from lxml import html

from harness.expectations import Known, applicable, load_expectations
from harness.gate import GateRefusal, compare_runs
from harness.report import render_documents
from harness.report.model import display_status
from harness.results import counts, load_results
from tests.test_suite import run_cli, suite

CASES = "syntax-memory or table-running-internal"
WRONG = "python:tests.impls.wrong:no_memory"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, impl in (("ref", "python:harness.reference"), ("wrong", WRONG)):
        base = tmp_path_factory.mktemp(name)
        code, results, output = suite(impl, base, "-k", CASES)
        assert results, output
        out[name] = next((base / "reports").iterdir()) / "results.json"
        assert (code == 0) == (name == "ref"), output
    return out


def failing(path: Path) -> set[str]:
    return {r["id"] for r in load_results(path)["results"] if r["status"] in ("fail", "error")}


def write(doc: dict[str, Any], path: Path) -> Path:
    doc["footer"]["counts"] = counts(doc["results"])
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- report


def test_run_writes_report_beside_results(runs: dict[str, Path]) -> None:
    page = runs["wrong"].with_name("report.html")
    tree = html.fromstring(page.read_bytes())
    heads = tree.xpath('//table[@id="summary"]//th[contains(@class, "col-head")]')
    assert len(heads) == 1 and "no_memory" in heads[0].text_content()


def test_report_has_a_column_per_run_and_a_coloured_cell_per_case(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "m.html"
    proc = run_cli("report", str(runs["ref"]), str(runs["wrong"]), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    tree = html.fromstring(out.read_bytes())
    heads = tree.xpath('//table[@id="summary"]//th[contains(@class, "col-head")]')
    assert [("reference" in h.text_content(), "no_memory" in h.text_content()) for h in heads] == [
        (True, False),
        (False, True),
    ]
    # self-contained: nothing is fetched
    assert not tree.xpath("//*[@src] | //link | //*[starts-with(@href, 'http')]")
    bad = sorted(failing(runs["wrong"]))
    assert bad
    corpus_bad = [i for i in bad if not i.startswith("table-")]
    for case_id in corpus_bad:
        (row,) = tree.xpath(f'//tr[contains(@class, "case-row")][td[1]="{case_id}"]')
        ref_cell, wrong_cell = row.xpath('td[contains(@class, "cell")]')
        assert "st-pass" in ref_cell.get("class")
        assert "st-fail" in wrong_cell.get("class")
        detail = tree.get_element_by_id(wrong_cell.get("data-detail"))
        assert detail.xpath('.//pre[@class="diff"]'), case_id
        assert detail.xpath('.//pre[@class="expected-xml"]')
    # the combination table holds the cells in the seed's rows
    matrix_rows = tree.xpath('//table[@id="matrix"]//tr[contains(@class, "case-row")]')
    assert matrix_rows
    wrong_table = {i for i in bad if i.startswith("table-")}
    red = [
        r
        for r in matrix_rows
        if "st-fail" in r.xpath('td[contains(@class,"cell")]')[1].get("class")
    ]
    assert wrong_table and red
    assert all(r.xpath("td[1]")[0].text == "running" for r in red)


def test_report_shows_implementation_text_as_text() -> None:
    evil = "<script>alert(1)</script>"
    doc = {
        "format": "snapconform-results/1",
        "header": {
            "run_id": "r",
            "harness_version": "0",
            "corpus_version": "0",
            "contract": "1",
            "implementation": {"connectable": "python:x", "name": evil, "version": "1"},
            "profile": "p",
            "started": "2026-01-01T00:00:00Z",
            "argv": [],
        },
        "results": [
            {
                "id": "x-case",
                "level": "syntax",
                "operation": "parse",
                "status": "fail",
                "expected": {"outcome": "accepted", "xml": "<a/>"},
                "actual": {"outcome": "accepted", "xml": evil},
                "diff": evil,
                "message": evil,
                "duration": 0,
                "known": None,
                "unexpected_pass": False,
            }
        ],
        "footer": {"complete": True, "finished": "2026-01-01T00:00:00Z", "counts": {}},
    }
    page = render_documents([("x.json", doc)], None)
    assert evil not in page and "&lt;script&gt;" in page
    assert page.count("<script>") == 1  # the report's own


def test_display_status() -> None:
    base = {"status": "pass", "known": None, "unexpected_pass": False}
    assert display_status(base) == "pass"
    assert display_status(base | {"unexpected_pass": True, "known": "fail"}) == "unexpected-pass"
    assert display_status(base | {"status": "fail", "known": "fail"}) == "known-failure"
    assert display_status(base | {"status": "error"}) == "error"


# --------------------------------------------------------------------------- compare


def test_compare_identical_runs_pass(runs: dict[str, Path]) -> None:
    proc = run_cli("compare", str(runs["ref"]), str(runs["ref"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no regression" in proc.stdout


def test_compare_fails_on_an_injected_regression(runs: dict[str, Path], tmp_path: Path) -> None:
    doc = load_results(runs["ref"])
    victim = doc["results"][3]
    victim.update(status="fail", message="injected: output differs")
    new = write(doc, tmp_path / "new.json")
    proc = run_cli("compare", str(runs["ref"]), str(new))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{victim['id']}: pass -> fail" in proc.stdout
    assert "injected: output differs" in proc.stdout
    back = run_cli("compare", str(new), str(runs["ref"]))
    assert back.returncode == 0 and "fixes (1)" in back.stdout


def test_compare_refuses_other_implementations_unless_told(runs: dict[str, Path]) -> None:
    proc = run_cli("compare", str(runs["ref"]), str(runs["wrong"]))
    assert proc.returncode == 2 and "--allow-different" in proc.stderr
    proc = run_cli("compare", str(runs["ref"]), str(runs["wrong"]), "--allow-different")
    assert proc.returncode == 1
    for case_id in failing(runs["wrong"]):
        assert f"{case_id}: pass -> fail" in proc.stdout


def test_compare_refuses_other_profiles(runs: dict[str, Path]) -> None:
    base = load_results(runs["ref"])
    new = copy.deepcopy(base)
    new["header"]["profile"] = "plan-1.0.1"
    with pytest.raises(GateRefusal, match="profiles"):
        compare_runs(base, new, {})


def test_compare_follows_renames_and_lists_new_and_removed(runs: dict[str, Path]) -> None:
    base = load_results(runs["ref"])
    new = copy.deepcopy(base)
    first, second = new["results"][0], new["results"][1]
    old_first = first["id"]
    first["id"] = "renamed-" + old_first
    gone = new["results"].pop(1)["id"]
    new["results"].append(dict(second, id="brand-new", status="fail"))
    result = compare_runs(base, new, {old_first: "renamed-" + old_first})
    assert [c.case_id for c in result.removed] == [gone]
    assert [c.case_id for c in result.added] == ["brand-new"]
    assert [c.case_id for c in result.regressions] == ["brand-new"]
    assert result.unchanged == len(base["results"]) - 1  # the renamed case among them


def test_compare_reports_changed_messages(runs: dict[str, Path]) -> None:
    base = load_results(runs["wrong"])
    new = copy.deepcopy(base)
    record = next(r for r in new["results"] if r["status"] == "fail")
    record["message"] = "a different complaint"
    result = compare_runs(base, new, {})
    assert not result.regressed
    assert [c.case_id for c in result.changed_messages] == [record["id"]]


# --------------------------------------------------------------------------- expectations


def test_update_expectations_round_trip(runs: dict[str, Path], tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    proc = run_cli("update-expectations", str(runs["wrong"]), "-o", str(known))
    assert proc.returncode == 0, proc.stderr
    entries = load_expectations(known)
    assert set(entries) == failing(runs["wrong"])
    # a person triages one entry; updating from the same failures keeps the words
    data = json.loads(known.read_text())
    triaged = sorted(data["cases"])[0]
    data["cases"][triaged]["reason"] = "triaged: never writes <memory>"
    known.write_text(json.dumps(data))
    proc = run_cli("update-expectations", str(runs["wrong"]), "-o", str(known))
    assert proc.returncode == 0 and "0 added" in proc.stderr
    assert json.loads(known.read_text())["cases"][triaged]["reason"].startswith("triaged")
    # the file turns every failure into a known one: the run passes
    code, results, output = suite(
        WRONG, tmp_path / "again", "-k", CASES, "--expectations", str(known)
    )
    assert code == 0, output
    assert {r["id"] for r in results["results"] if r["known"]} == set(entries)
    # an implementation that passes them: unexpected passes; --sc-strict fails on them
    code, results, output = suite(
        "python:harness.reference", tmp_path / "ref", "-k", CASES, "--expectations", str(known)
    )
    assert code == 0 and results["footer"]["counts"]["unexpected-pass"] == len(entries)
    code, _, output = suite(
        "python:harness.reference",
        tmp_path / "strict",
        "-k",
        CASES,
        "--expectations",
        str(known),
        "--strict-expectations",
    )
    assert code == 1 and "EXPECTATIONS CHANGED" in output
    # updating from the passing run drops them all
    ref_run = next((tmp_path / "ref" / "reports").iterdir()) / "results.json"
    proc = run_cli("update-expectations", str(ref_run), "-o", str(known))
    assert proc.returncode == 0 and json.loads(known.read_text())["cases"] == {}


def test_conditional_known_failures(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text(
        json.dumps(
            {
                "cases": {
                    "a": {"status": "fail", "reason": "r1", "when": {"libvirt": ">=9.0,<9.5"}},
                    "b": [
                        {"status": "fail", "reason": "r2", "when": {"driver": "test"}},
                        {"status": "error", "reason": "r3", "when": {"libvirt": ">=10"}},
                    ],
                    "c": {"status": "fail", "reason": "always"},
                }
            }
        )
    )
    entries = load_expectations(path)
    qemu9 = applicable(entries, "9.0.0", {"libvirt": "9.0.0", "driver": "qemu"})
    assert set(qemu9) == {"a", "c"}
    test10 = applicable(entries, "10.1.0", {"libvirt": "10.1.0", "driver": "test"})
    assert test10["b"] == Known("fail", "r2", {"driver": "test"})
    qemu10 = applicable(entries, "10.1.0", {"libvirt": "10.1.0", "driver": "qemu"})
    assert set(qemu10) == {"b", "c"} and qemu10["b"].reason == "r3"
    # a python: implementation has no libvirt detail: its version is the one compared
    assert set(applicable(entries, "9.1", {})) == {"a", "c"}
