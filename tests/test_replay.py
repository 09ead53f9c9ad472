"""Transcripts (--record) and replay:FILE: the same verdicts, offline.

The transcripts under tests/fixtures/transcripts/ were recorded on a real host (libvirt
9.0.0, QEMU 7.2, qemu:///system) through virsh and through the binding, next to the
results.json of those runs; replaying them here checks the host-level logic (verdicts,
report, compare) on machines without libvirt.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.contract import Level, Operation, Request
from harness.gate import compare_runs
from harness.replay import ReplayAdapter
from harness.results import load_results
from tests.test_suite import run_cli, suite

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"
LIVE = sorted(TRANSCRIPTS.glob("*.jsonl.gz"))
assert LIVE, f"the real-host transcripts are missing from {TRANSCRIPTS}"


def verdicts(results: dict[str, object]) -> dict[str, tuple[str, str | None]]:
    records = results["results"]
    assert isinstance(records, list)
    return {r["id"]: (r["status"], r["message"]) for r in records}


def test_a_replayed_run_gives_the_recorded_verdicts(tmp_path: Path) -> None:
    transcript = tmp_path / "t.jsonl"
    impl = "python:tests.impls.wrong:no_memory"
    cases = "syntax-memory or sem-mem or table-running-internal"
    code, recorded, _ = suite(impl, tmp_path / "rec", "-k", cases, "--record", str(transcript))
    assert code == 1 and transcript.stat().st_size
    code, replayed, output = suite(f"replay:{transcript}", tmp_path / "rep", "-k", cases)
    assert code == 1, output
    assert verdicts(replayed) == verdicts(recorded)
    assert (
        replayed["header"]["implementation"]["name"] == recorded["header"]["implementation"]["name"]
    )
    assert any(s == "fail" for s, _ in verdicts(replayed).values())


def test_a_request_not_in_the_transcript_is_an_error(tmp_path: Path) -> None:
    transcript = tmp_path / "t.jsonl.gz"
    code, _, _ = suite(
        "python:harness.reference", tmp_path, "-k", "syntax-memory", "--record", str(transcript)
    )
    assert code == 0
    adapter = ReplayAdapter(str(transcript))
    outcome = adapter.run(Request(Level.SYNTAX, Operation.PARSE, "<domainsnapshot/>"))
    assert outcome.outcome == "errored" and "holds no such request" in outcome.message


def test_a_broken_transcript_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    proc = run_cli("run", "--impl", f"replay:{bad}", "-q", "--report-dir", str(tmp_path))
    assert proc.returncode != 0
    assert "not JSON" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_several_targets_make_one_results_file_each_and_a_matrix(tmp_path: Path) -> None:
    proc = run_cli(
        "run",
        "--impl",
        "python:harness.reference",
        "--impl",
        "python:tests.impls.wrong:no_memory",
        "-k",
        "syntax-memory",
        "-q",
        "--report-dir",
        str(tmp_path),
        path=Path(__file__).parent.parent,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    runs = sorted(tmp_path.glob("*/results.json"))
    names = [load_results(p)["header"]["implementation"]["name"] for p in runs]
    assert len(runs) == 2 and names[0] != names[1]
    assert (tmp_path / "matrix.html").read_text().count('class="col-head"') >= 2


@pytest.mark.parametrize("transcript", LIVE, ids=[p.name for p in LIVE])
def test_a_real_host_transcript_replays_to_the_live_verdicts(
    transcript: Path, tmp_path: Path
) -> None:
    live_file = transcript.with_name(transcript.name.replace(".jsonl.gz", ".results.json.gz"))
    live = json.loads(gzip.decompress(live_file.read_bytes()))
    _, replayed, output = suite(f"replay:{transcript}", tmp_path, "-n", "2")
    assert replayed, output
    assert replayed["header"]["profile"] == live["header"]["profile"]
    before = {r["id"]: r for r in live["results"]}
    now = {r["id"]: r for r in replayed["results"]}
    # the corpus may have moved on since the recording: compare the cases whose expectation
    # is still the one the live run judged by (most of them), and say how many
    same = [
        i
        for i in before.keys() & now.keys()
        if before[i]["expected"] == now[i]["expected"] and before[i]["status"] != "not-applicable"
    ]
    assert len(same) >= 0.8 * len(before), f"only {len(same)} of {len(before)} comparable"
    differ = {
        i: (before[i]["status"], now[i]["status"])
        for i in same
        if before[i]["status"] != now[i]["status"]
    }
    assert differ == {}
    live_pass = sum(1 for i in same if before[i]["status"] == "pass")
    assert live_pass > 0.9 * len(same)
    # compare accepts the replay as a run of the same implementation under the same profile
    gate = compare_runs(live, replayed, {})
    assert not [c for c in gate.regressions if c.case_id in same]


def test_a_recorded_adapter_keeps_its_fixture_grouping(tmp_path: Path) -> None:
    """A recorder passes the inner adapter's fixture_key through (the suite orders and
    schedules by it); an adapter without one stays without one."""
    from harness.adapters.python import PythonAdapter
    from harness.replay import Recorder

    class OnFixtures(PythonAdapter):
        def fixture_key(self, request: Request) -> tuple[str, tuple[int, int]]:
            return ("group", (0, 0))

    plain = Recorder(PythonAdapter("harness.reference"), tmp_path / "a.jsonl")
    assert getattr(plain, "fixture_key", None) is None
    grouped = Recorder(OnFixtures("harness.reference"), tmp_path / "b.jsonl")
    request = Request(Level.SYNTAX, Operation.PARSE, "<domainsnapshot/>")
    assert grouped.fixture_key(request) == ("group", (0, 0))
