"""Rules a profile breaks: derived from the data, recorded as ``breaks``, held true by
``snapconform check``, named by the table printout and by ``diff-profiles``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from harness import breaks
from harness.cli import main
from harness.corpus.lint import check
from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
from harness.rules import load_catalogue
from harness.table.loader import load_table, table_files
from harness.table.model import CellKey

QEMU = "libvirt-9.0-qemu"
#: the plan's row 5 (offline, omit, ext: "via qemu-img"), refused by 9.0 without --disk-only
EXT_OFFLINE = CellKey("shutoff", "omit", "external", False, "qcow2")


def _tables(root: Path) -> dict[str, Any]:
    return {p: load_table(root, p) for p in table_files(root)}


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(default_corpus(), root)
    return root


def _edit_table(root: Path, profile: str, edit: Any) -> None:
    from harness.table.measure import dump_table

    path = root / "tables" / f"{profile}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    for row in document["rows"]:
        edit(row)
    path.write_text(dump_table(document), encoding="utf-8")


def _is_row(row: dict[str, Any], state: str, memory: str, disk: str, disk_only: bool) -> bool:
    return (
        row["state"] == [state]
        and row["memory"] == [memory]
        and row["disk"] == [disk]
        and disk_only in (row["disk_only"] if isinstance(row["disk_only"], list) else [])
        and "qcow2" in row["format"]
        and not row.get("flags")
    )


def test_bundled_9_0_qemu_breaks_exactly_the_plan_cells_it_differs_on() -> None:
    root = default_corpus()
    catalogue, tables = load_catalogue(root), _tables(root)
    broken = breaks.cell_breaks(catalogue, tables, QEMU)
    assert broken[EXT_OFFLINE] == ("plan-row-05",)
    assert all(ids and all(r.startswith("plan-row-") for r in ids) for ids in broken.values())
    # the README's plan-vs-9.0 count: every one of the 16 differing cells breaks its row
    from harness.table.render import diff_profiles

    differing = {k for k, *_ in diff_profiles(tables["plan-1.0.1"], tables[QEMU])}
    assert set(broken) == differing and len(differing) == 16
    # a raw cell: the plan defines no raw cell, so no plan row is broken there
    assert CellKey("shutoff", "omit", "external", False, "raw") not in broken
    # the plan breaks none of its own rows
    assert breaks.cell_breaks(catalogue, tables, "plan-1.0.1") == {}


def test_bundled_case_breaks() -> None:
    root = default_corpus()
    catalogue, corpus = load_catalogue(root), load_corpus(root)
    case = corpus.case("syntax-memory-external-without-file")
    assert breaks.case_breaks(catalogue, corpus, case, QEMU) == (
        "parse-seed-external-without-file",
    )
    assert breaks.case_breaks(catalogue, corpus, case, "plan-1.0.1") == ()
    # an expectation the 9.0 profiles share with the plan breaks nothing
    same = corpus.case("sem-mem-external-running-vda-no")
    assert breaks.case_breaks(catalogue, corpus, same, QEMU) == ()


def test_bundled_records_agree_with_the_data() -> None:
    problems = check(default_corpus(), use_rng=False).problems
    assert not [p for p in problems if "breaks" in p]


def test_an_unrecorded_break_fails_check(corpus_copy: Path) -> None:
    def drop(row: dict[str, Any]) -> None:
        if _is_row(row, "shutoff", "omit", "external", False):
            row.pop("breaks", None)

    _edit_table(corpus_copy, QEMU, drop)
    problems = check(corpus_copy, use_rng=False).problems
    assert any("breaks plan-row-05" in p and "unrecorded" in p for p in problems), problems


def test_a_break_the_data_does_not_show_fails_check(corpus_copy: Path) -> None:
    def add(row: dict[str, Any]) -> None:
        if _is_row(row, "running", "internal", "internal", False):
            row["breaks"] = ["plan-row-21"]

    _edit_table(corpus_copy, QEMU, add)
    problems = check(corpus_copy, use_rng=False).problems
    assert any("plan-row-21, which the data does not show" in p for p in problems), problems


def test_a_changed_cell_breaks_its_rule(corpus_copy: Path) -> None:
    # 9.0 agrees with the plan's row 21 on running/internal/internal; make it refuse
    def refuse(row: dict[str, Any]) -> None:
        if _is_row(row, "running", "internal", "internal", False) and row["format"] == ["qcow2"]:
            row["result"] = {"outcome": "unsupported", "code": "VIR_ERR_CONFIG_UNSUPPORTED"}

    _edit_table(corpus_copy, QEMU, refuse)
    catalogue, tables = load_catalogue(corpus_copy), _tables(corpus_copy)
    key = CellKey("running", "internal", "internal", False, "qcow2")
    assert breaks.cell_breaks(catalogue, tables, QEMU)[key] == ("plan-row-21",)
    assert any("plan-row-21" in p for p in check(corpus_copy, use_rng=False).problems)


def test_a_rule_that_holds_for_the_profile_is_not_broken(corpus_copy: Path) -> None:
    path = corpus_copy / "rules.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        if rule["id"] == "plan-row-05":
            rule["profiles"].append(QEMU)
    path.write_text(json.dumps(data), encoding="utf-8")
    broken = breaks.cell_breaks(load_catalogue(corpus_copy), _tables(corpus_copy), QEMU)
    assert EXT_OFFLINE not in broken


def test_write_records_what_check_wants(corpus_copy: Path) -> None:
    before = (corpus_copy / "tables" / f"{QEMU}.json").read_text(encoding="utf-8")
    _edit_table(corpus_copy, QEMU, lambda row: row.pop("breaks", None))
    assert check(corpus_copy, use_rng=False).problems
    assert main(["breaks", "--write", "--corpus", str(corpus_copy)]) == 0
    assert check(corpus_copy, use_rng=False).problems == []
    assert (corpus_copy / "tables" / f"{QEMU}.json").read_text(encoding="utf-8") == before


def test_table_printout_names_the_broken_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["table", "--profile", QEMU]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("shutoff omit     external "))
    assert row.endswith("!breaks plan-row-05")
    assert "plan-row-05 (stated by the seed): 1.0.1 design, row 5:" in out
    assert "  syntax-memory-external-without-file  !breaks parse-seed-external-without-file" in out
    # the plan breaks no rule of its own table
    assert main(["table", "--profile", "plan-1.0.1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if " |" in line]
    assert rows and not [line for line in rows if "!breaks" in line]


def test_diff_profiles_names_and_files_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff-profiles", "plan-1.0.1", QEMU]) == 0
    out = capsys.readouterr().out
    block = out.split("shutoff domain, memory omit, disk external, qcow2  [accepted vs rejected]")
    assert f"  {QEMU} breaks plan-row-05" in block[1].split("\n\n")[0].splitlines()[3]
    assert "16 of 80 cells defined by both profiles differ" in out
    assert "  plan-row-05: 4 cell(s) (4 accepted vs rejected)" in out


def test_history_markdown_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff-profiles", "--markdown", "plan-1.0.1", QEMU, "libvirt-9.0-test"]) == 0
    out = capsys.readouterr().out
    assert f"| plan-1.0.1 → {QEMU} | 80 | 16 | 7 | 7 | 2 |" in out
    assert "16 of the 80 cells both define differ (7 accepted vs rejected" in out
    assert f"**{QEMU} → libvirt-9.0-test**:" in out
