"""The combination table: coverage checks, the seed's layout, cells as requests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.contract import Accepted, Errored, Rejected, RejectionKind
from harness.corpus.lint import check
from harness.corpus.model import Profile
from harness.paths import default_corpus
from harness.table.cells import judge_cell, request_for
from harness.table.loader import load_axes, load_table
from harness.table.model import CellKey, Result
from harness.table.render import diff_profiles, render

OFFLINE_EXTERNAL = (
    "<domainsnapshot><disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>"
)

CORPUS = default_corpus()
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"


def seed_rows() -> list[list[str]]:
    """The table rows of the seed commit message, as whitespace-separated words."""
    text = " ".join(p.read_text() for p in sorted(SEED.glob("*.txt")))
    start = text.index("-----------------------------------------")
    end = text.index("* docs/schemas")
    body = text[start:end].strip("- ")
    # rows start with 'offline' or 'online'
    parts = re.split(r"\s(?=(?:offline|online)\s)", " " + body)
    return [p.replace("|", " | ").split() for p in parts if p.strip()]


@pytest.mark.needs("seed")
def test_plan_table_reproduces_the_seed_row_for_row() -> None:
    rendered = render(load_table(CORPUS, "plan-1.0.1")).splitlines()
    rows = [line.replace("|", " | ").split() for line in rendered[2:] if "|" in line]

    # the seed writes '|+memory' and '| memory' alike: compare words, markers split off
    def words(row: list[str]) -> list[str]:
        return [w for tok in row for w in re.split(r"^([+*])", tok) if w]

    assert [words(r) for r in rows] == [words(r) for r in seed_rows()]
    assert len(rows) == 25


def test_bundled_tables_cover_their_axes() -> None:
    axes = load_axes(CORPUS)
    table = load_table(CORPUS, "plan-1.0.1", axes)
    assert table.problems(axes) == []
    assert len(table.defined_cells()) == 80


def write_table(root: Path, rows: list[dict[str, object]]) -> None:
    (root / "tables" / "plan-1.0.1.json").write_text(
        json.dumps({"profile": "plan-1.0.1", "description": "a broken test table", "rows": rows})
    )


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


SEED_PROV = [{"source": "seed-design", "detail": "test row"}]


def test_gaps_and_overlaps_are_reported(corpus_copy: Path) -> None:
    row = {
        "state": ["running"],
        "memory": "any",
        "disk": "any",
        "disk_only": "any",
        "format": "any",
        "result": {"outcome": "invalid"},
        "provenance": SEED_PROV,
    }
    write_table(corpus_copy, [row, dict(row, memory=["no"])])
    problems = check(corpus_copy, use_rng=False).problems
    assert any("already defined by row 1" in p for p in problems)
    assert any("cells of the axes are neither defined nor undefined" in p for p in problems)


def test_off_axis_values_and_missing_provenance(corpus_copy: Path) -> None:
    row = {
        "state": ["asleep"],
        "memory": "any",
        "disk": "any",
        "disk_only": "any",
        "format": "any",
        "result": {"outcome": "invalid"},
    }
    write_table(corpus_copy, [row])
    problems = check(corpus_copy, use_rng=False).problems
    assert any("state values ['asleep'] are not on the axis" in p for p in problems)
    assert any("no provenance that profile 'plan-1.0.1' accepts" in p for p in problems)


def test_table_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["table", "--profile", "plan-1.0.1"]) == 0
    out = capsys.readouterr().out
    assert "online  ext     ext    off       |*memory=ext disk=ext, via migrate+transaction" in out
    assert main(["table", "--profile", "no-such-profile"]) == 1


def test_undefined_rows_off_the_axes_are_refused(corpus_copy: Path) -> None:
    """An undefined row may only speak of cells of the axes: the plan's paused row, as it
    once was, also covered two-disk specs on raw disks and manual memory with two disks."""
    path = corpus_copy / "tables" / "plan-1.0.1.json"
    data = json.loads(path.read_text())
    paused = next(r for r in data["rows"] if r["state"] == ["paused"])
    data["rows"].append(dict(paused, memory=["manual"], disk=["int+ext"], format=["raw"]))
    path.write_text(json.dumps(data))
    problems = check(corpus_copy, use_rng=False).problems
    assert any(
        f"row {len(data['rows'])}: 2 of its cells are in no product of the axes" in p
        for p in problems
    ), problems


def test_table_cli_counts_the_undefined_cells_of_the_axes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 360 one-disk + 144 two-disk + 144 extra-flag cells (axes.json, README); the seed's 25
    # rows define 80 of them
    assert len(set(load_axes(CORPUS).product())) == 360 + 144 + 144
    assert main(["table", "--profile", "plan-1.0.1"]) == 0
    out = capsys.readouterr().out.splitlines()
    # the table's last line (the rule legend, if any, follows it)
    assert f"({648 - 80} cells of the axes are undefined for plan-1.0.1)" in out
    # the seed's markers, in the seed's own words
    assert "* new code in 1.0.1" in out
    assert (
        "+ existing code reached through new combinations of XML and/or the DISK_ONLY flag" in out
    )


def test_table_cli_without_markers_prints_no_legend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["table", "--profile", "libvirt-9.0-qemu"]) == 0
    out = capsys.readouterr().out
    assert "new code in 1.0.1" not in out and "undefined for" not in out


@pytest.mark.parametrize(
    "args",
    [
        ["table", "--profile", "nosuch"],
        ["list", "--cells", "nosuch"],
        ["diff-profiles", "nosuch", "plan-1.0.1"],
    ],
)
def test_an_unknown_profile_lists_the_known_ones(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].endswith("libvirt-9.0-qemu, libvirt-9.0-test, plan-1.0.1"), err


def test_diff_of_a_table_with_itself_is_empty() -> None:
    table = load_table(CORPUS, "plan-1.0.1")
    assert diff_profiles(table, table) == []


PROFILE = Profile("p", "test profile", "message", frozenset({"seed-design"}))
CELL = CellKey("running", "omit", "omit", False, "qcow2")


def test_cell_request() -> None:
    req = request_for(CellKey("shutoff", "external", "external", True, "raw"), {"@SCRATCH@": "/s"})
    assert req.context is not None
    assert "disk-only" in req.context.flags
    assert req.context.disks[0].source == "/s/vda.img"
    assert "file='/s/cell.mem'" in req.xml and "source file='/s/vda.cell.overlay'" in req.xml


@pytest.mark.parametrize(
    ("expected", "outcome", "status"),
    [
        (
            Result("accepted", "internal", "internal"),
            Accepted(
                "<domainsnapshot><memory snapshot='internal'/><disks>"
                "<disk name='vda' snapshot='internal'/></disks></domainsnapshot>"
            ),
            "pass",
        ),
        (
            Result("accepted", "internal", "internal"),
            Accepted(
                "<domainsnapshot><memory snapshot='no'/><disks>"
                "<disk name='vda' snapshot='internal'/></disks></domainsnapshot>"
            ),
            "fail",
        ),
        (
            Result("accepted", "no", "default"),
            Accepted(
                "<domainsnapshot><memory snapshot='no'/><disks>"
                "<disk name='vda' snapshot='external'/></disks></domainsnapshot>"
            ),
            "pass",
        ),
        (Result("invalid"), Rejected(RejectionKind.INVALID, "m"), "pass"),
        (Result("invalid"), Rejected(RejectionKind.UNSUPPORTED, "m"), "fail"),
        (
            Result("unsupported", code="VIR_ERR_CONFIG_UNSUPPORTED", message="nothing selected"),
            Rejected(
                RejectionKind.UNSUPPORTED,
                "unsupported configuration: nothing selected",
                "VIR_ERR_CONFIG_UNSUPPORTED",
            ),
            "pass",
        ),
        (
            Result("unsupported", code="VIR_ERR_CONFIG_UNSUPPORTED"),
            Rejected(RejectionKind.UNSUPPORTED, "x", "VIR_ERR_NO_SUPPORT"),
            "fail",
        ),
        (Result("invalid"), Errored("hung"), "error"),
        # libvirt 12.9 stores an offline external snapshot with no <memory> at all
        (
            Result("accepted", "absent", {"vda": "external"}),
            Accepted(OFFLINE_EXTERNAL),
            "pass",
        ),
        (
            Result("accepted", "no", {"vda": "external"}),
            Accepted(OFFLINE_EXTERNAL),
            "fail",
        ),
        (
            Result("accepted", "absent", {"vda": "external"}),
            Accepted(
                "<domainsnapshot><memory snapshot='no'/><disks>"
                "<disk name='vda' snapshot='external'/></disks></domainsnapshot>"
            ),
            "fail",
        ),
        (Result("invalid"), Accepted("<domainsnapshot/>"), "fail"),
    ],
)
def test_judge_cell(expected: Result, outcome: object, status: str) -> None:
    verdict = judge_cell(CELL, expected, outcome, PROFILE, {"@SCRATCH@": "/s"})  # type: ignore[arg-type]
    assert verdict.status == status, verdict.message
    if status == "fail":
        assert "running domain, memory omit" in (verdict.message or "")


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        (Result("accepted", "no", "internal"), Result("accepted", "no", {"vda": "internal"}), None),
        (Result("accepted", "no", "default"), Result("accepted", "no", {"vda": "external"}), None),
        (
            Result("accepted", "no", "internal"),
            Result("accepted", "no", {"vda": "external"}),
            "disk modes",
        ),
        (
            Result("accepted", "internal", "internal"),
            Result("accepted", "no", "internal"),
            "memory mode",
        ),
        (Result("accepted", "no", "internal"), Result("unsupported"), "accepted vs rejected"),
        (Result("invalid"), Result("unsupported"), "rejection kind"),
        (Result("invalid", code="A"), Result("invalid", code="B"), None),
    ],
)
def test_result_difference(a: Result, b: Result, why: str | None) -> None:
    assert a.difference(b) == why
    assert b.difference(a) == why


def test_plan_and_9_0_disagree_where_libvirt_changed() -> None:
    plan, qemu = load_table(CORPUS, "plan-1.0.1"), load_table(CORPUS, "libvirt-9.0-qemu")
    diffs = {key.id: why for key, _, _, why in diff_profiles(plan, qemu)}
    # 9.0 rejects a running domain's snapshot without memory unless it is disk-only
    assert diffs["table-running-no-omit-full-qcow2"] == "accepted vs rejected"
    # 9.0 makes disk-only snapshots of a shut-off domain external, the plan said internal
    assert diffs["table-shutoff-omit-omit-diskonly-qcow2"] == "disk modes"
    assert "table-running-omit-omit-full-qcow2" not in diffs  # both: memory and disk internal


def test_remeasurement_keeps_hand_confirmed_effects_only_when_the_result_is_unchanged() -> None:
    from dataclasses import replace

    from harness.table.measure import table_document

    axes = load_axes(CORPUS)
    table = load_table(CORPUS, "libvirt-9.0-qemu", axes)
    (key, result), *_ = [(k, r) for k, r in table.defined_cells().items() if r.effects]
    same = {key: replace(result, effects=())}
    doc = table_document("p", "d", same, "libvirt-9.0.0-live-qemu", "measured by test", axes, table)
    assert doc["rows"][0]["result"]["effects"] == list(result.effects)
    assert len(doc["rows"][0]["provenance"]) == 2
    changed = {key: Result("unsupported", code="VIR_ERR_CONFIG_UNSUPPORTED", message="x")}
    doc = table_document("p", "d", changed, "libvirt-9.0.0-live-qemu", "measured", axes, table)
    assert "effects" not in doc["rows"][0]["result"]
