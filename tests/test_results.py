"""Result records, results.json (atomic, schema-valid, truncation-proof) and junit.xml."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from harness.junit import render_junit, write_junit
from harness.results import (
    FORMAT,
    CaseResult,
    ResultsError,
    ResultsWriter,
    RunHeader,
    load_results,
    load_schema,
    new_run_id,
)

REPO = Path(__file__).resolve().parent.parent


def header(**changes: Any) -> RunHeader:
    values: dict[str, Any] = {
        "run_id": "20250101T000000.000000Z-abcdef",
        "harness_version": "0.1.0",
        "corpus_version": "1",
        "contract": "1",
        "implementation": {
            "contract": "1",
            "name": "reference",
            "version": "0.1",
            "levels": ["semantics", "syntax"],
            "operations": ["create", "parse", "redefine"],
            "profile": None,
            "details": {},
            "connectable": "python:harness.reference",
        },
        "profile": "libvirt-9.0-qemu",
        "started": "2025-01-01T00:00:00+00:00",
        "argv": ["conformance", "-q"],
    }
    values.update(changes)
    return RunHeader(**values)


def result(case_id: str, status: str = "pass", **changes: Any) -> CaseResult:
    values: dict[str, Any] = {
        "id": case_id,
        "level": "syntax",
        "operation": "parse",
        "status": status,
        "expected": {"outcome": "accepted", "xml": "<domainsnapshot/>"},
        "actual": {"outcome": "accepted", "xml": "<domainsnapshot/>"},
        "diff": None,
        "message": None,
        "duration": 0.25,
    }
    if status == "fail":
        values.update(
            actual={"outcome": "accepted", "xml": "<domainsnapshot><x/></domainsnapshot>"},
            diff="edit script (expected -> actual):\n  insert <x>\n",
            message="accepted, but the output differs",
        )
    elif status == "error":
        values.update(actual={"outcome": "errored", "message": "crashed"}, message="boom")
    elif status == "not-applicable":
        values.update(actual=None, message="undefined for profile x")
    values.update(changes)
    return CaseResult(**values)


MIXED = [
    result("a-pass"),
    result("b-fail", "fail"),
    result("c-error", "error"),
    result("d-na", "not-applicable"),
    result("e-known-fail", "fail", known="fail"),
    result("f-unexpected", "pass", known="fail", unexpected_pass=True),
    result(
        "g-rejected",
        "fail",
        expected={"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR"},
        actual={"outcome": "rejected", "kind": "unsupported", "code": None, "message": "no"},
    ),
]


def run(directory: Path, records: list[CaseResult], *, complete: bool = True) -> Path:
    writer = ResultsWriter(directory, header(), flush_interval=0)
    for record in records:
        writer.add(record)
    return writer.close(complete=complete)


def names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


# --------------------------------------------------------------------------- round trip


def test_schema_is_valid_draft_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_round_trip_validates_and_keeps_order(tmp_path: Path) -> None:
    path = run(tmp_path / "deep" / "run", MIXED)
    assert path == tmp_path / "deep" / "run" / "results.json"
    document = load_results(path)
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    assert document["format"] == FORMAT
    assert document["header"] == header().to_json()
    assert [r["id"] for r in document["results"]] == [r.id for r in MIXED]
    assert [CaseResult(**r) for r in document["results"]] == MIXED
    footer = document["footer"]
    assert footer["complete"] is True
    assert footer["counts"] == {
        "pass": 2,
        "fail": 3,
        "error": 1,
        "not-applicable": 1,
        "total": 7,
        "unexpected-pass": 1,
        "expected-failure": 1,  # e-known-fail
    }
    assert list(document) == ["format", "header", "results", "footer"]  # footer written last


def test_records_are_snapshots(tmp_path: Path) -> None:
    record = result("a")
    with ResultsWriter(tmp_path, header()) as writer:
        writer.add(record)
        assert record.expected is not None
        record.expected["xml"] = "changed later"
    document = load_results(tmp_path / "results.json")
    assert document["results"][0]["expected"]["xml"] == "<domainsnapshot/>"


def test_awkward_text_survives(tmp_path: Path) -> None:
    message = "naïve \x00\x1b[31m ünïcödé \udcff surrogate, \U0001f600 and ]]> <![CDATA["
    path = run(tmp_path, [result("weird", "fail", message=message, diff=message)])
    document = load_results(path)
    assert document["results"][0]["message"] == message
    tree = etree.parse(str(tmp_path / "junit.xml"))
    failure = tree.find(".//failure")
    assert failure is not None
    assert "\\x00" in failure.get("message", "") and "\\udcff" in failure.get("message", "")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pass", "fail", "error", "not-applicable"]),
            st.sampled_from([None, "fail", "error"]),
            st.text(max_size=20),
            st.floats(min_value=0, max_value=1e6, allow_nan=False),
        ),
        max_size=12,
    )
)
@settings(max_examples=40, deadline=None)
def test_counts_and_junit_agree_with_the_records(
    tmp_path_factory: pytest.TempPathFactory, specs: list[tuple[str, str | None, str, float]]
) -> None:
    directory = tmp_path_factory.mktemp("run")
    records = [
        result(
            f"case-{i}",
            status,
            known=known,
            unexpected_pass=known is not None and status == "pass",
            message=message or None,
            duration=duration,
        )
        for i, (status, known, message, duration) in enumerate(specs)
    ]
    document = load_results(run(directory, records))
    counts = document["footer"]["counts"]
    for status in ("pass", "fail", "error", "not-applicable"):
        assert counts[status] == sum(r.status == status for r in records)
    assert counts["total"] == len(records)
    assert counts["unexpected-pass"] == sum(r.unexpected_pass for r in records)
    listed = [r for r in records if r.known is not None and r.status in ("fail", "error")]
    assert counts["expected-failure"] == len(listed)

    suite = etree.parse(str(directory / "junit.xml")).getroot().find("testsuite")
    assert suite is not None
    known = [r for r in records if r.known == r.status]
    assert suite.get("tests") == str(len(records))
    assert suite.get("failures") == str(sum(r.status == "fail" and r not in known for r in records))
    assert suite.get("errors") == str(sum(r.status == "error" and r not in known for r in records))
    skipped = sum(r.status == "not-applicable" for r in records) + len(known)
    assert suite.get("skipped") == str(skipped)
    assert [(c.get("classname"), c.get("name")) for c in suite.iter("testcase")] == [
        (r.level, r.id) for r in records
    ]
    assert names(directory) == {"results.json", "junit.xml"}


def test_junit_shape(tmp_path: Path) -> None:
    run(tmp_path, MIXED)
    root = etree.parse(str(tmp_path / "junit.xml")).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "snapconform"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "2", "1")
    assert suite.get("skipped") == "2"
    assert suite.get("timestamp") == "2025-01-01T00:00:00+00:00"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["implementation.name"] == "reference"
    assert properties["profile"] == "libvirt-9.0-qemu"
    assert properties["complete"] == "true"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["a-pass"].get("classname") == "syntax"
    assert cases["a-pass"].get("time") == "0.250"
    assert len(cases["a-pass"]) == 0
    failure = cases["b-fail"].find("failure")
    assert failure is not None
    assert failure.get("message") == "accepted, but the output differs"
    assert "insert <x>" in (failure.text or "")
    error = cases["c-error"].find("error")
    assert error is not None and error.get("message") == "boom"
    skipped = cases["d-na"].find("skipped")
    assert skipped is not None and "not-applicable" in (skipped.get("message") or "")
    known = cases["e-known-fail"].find("skipped")
    assert known is not None and known.get("type") == "known-fail"
    note = cases["f-unexpected"].findtext("system-out") or ""
    assert "UNEXPECTED PASS" in note and cases["f-unexpected"].find("failure") is None


def test_known_status_that_does_not_match_still_fails(tmp_path: Path) -> None:
    run(tmp_path, [result("x", "error", known="fail")])
    case = etree.parse(str(tmp_path / "junit.xml")).find(".//testcase")
    assert case is not None
    error = case.find("error")
    assert error is not None and "listed as known fail, got error" in (error.get("message") or "")


def test_write_junit_from_a_loaded_document(tmp_path: Path) -> None:
    document = load_results(run(tmp_path / "a", MIXED))
    path = write_junit(tmp_path / "again.xml", document)
    assert path.read_bytes() == (tmp_path / "a" / "junit.xml").read_bytes()
    assert render_junit(document) == path.read_bytes()


# --------------------------------------------------------------------------- interruption


def test_file_is_valid_from_the_start(tmp_path: Path) -> None:
    ResultsWriter(tmp_path, header())  # never closed: the process died at once
    document = load_results(tmp_path / "results.json")
    assert document["results"] == []
    assert document["footer"]["complete"] is False


def test_interruption_mid_run_leaves_what_was_flushed(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path, header(), flush_interval=3600)
    writer.add(result("a"))
    assert load_results(writer.path)["results"] == []  # interval not reached: not written yet
    writer.flush()
    writer.add(result("b", "fail"))
    document = load_results(writer.path)  # the "crash" happens here
    assert [r["id"] for r in document["results"]] == ["a"]
    assert document["footer"]["complete"] is False
    assert document["footer"]["counts"]["total"] == 1
    assert not (tmp_path / "junit.xml").exists()


def test_flush_interval_zero_writes_every_record(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path, header(), flush_interval=0)
    for i in range(5):
        writer.add(result(f"c{i}"))
        assert len(load_results(writer.path)["results"]) == i + 1


def test_interrupted_context_manager_closes_incomplete(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), ResultsWriter(tmp_path, header()) as writer:
        writer.add(result("a"))
        writer.add(result("b", "fail"))
        raise KeyboardInterrupt
    document = load_results(tmp_path / "results.json")
    assert document["footer"]["complete"] is False
    assert len(document["results"]) == 2
    assert (tmp_path / "junit.xml").exists()
    assert names(tmp_path) == {"results.json", "junit.xml"}


CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from harness.results import CaseResult, ResultsWriter, RunHeader
writer = ResultsWriter(Path({directory!r}), RunHeader(**json.loads({header!r})), flush_interval=0)
i = 0
while True:
    record = json.loads({record!r})
    record["id"] = f"case-{{i}}"
    writer.add(CaseResult(**record))
    i += 1
    if i == 5:
        print("ready", flush=True)
"""


def test_killed_process_leaves_a_valid_file(tmp_path: Path) -> None:
    script = CHILD.format(
        repo=str(REPO),
        directory=str(tmp_path),
        header=json.dumps(header().to_json()),
        record=json.dumps(result("x", "fail", diff="x" * 20000).to_json()),
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.2)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    document = load_results(tmp_path / "results.json")
    assert document["footer"]["complete"] is False
    assert len(document["results"]) >= 5
    leftovers = names(tmp_path) - {"results.json"}
    # SIGKILL may land between mkstemp and os.replace: at most one temporary file, never
    # mistaken for a report
    assert len(leftovers) <= 1 and all(n.endswith(".tmp") for n in leftovers)


def test_failed_write_leaves_no_temp_file_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = ResultsWriter(tmp_path, header(), flush_interval=0)
    writer.add(result("a"))
    before = (tmp_path / "results.json").read_bytes()

    def no_space(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(OSError, match="No space"):
        writer.add(result("b"))
    assert names(tmp_path) == {"results.json"}
    assert (tmp_path / "results.json").read_bytes() == before
    monkeypatch.undo()
    writer.close(complete=True)
    assert [r["id"] for r in load_results(writer.path)["results"]] == ["a", "b"]


# --------------------------------------------------------------------------- truncation


def test_truncation_is_detected_at_every_offset(tmp_path: Path) -> None:
    path = run(tmp_path, [*MIXED, result("h", "fail", message="ünïcödé ✓ " * 3)])
    data = path.read_bytes()
    cut_path = tmp_path / "cut.json"
    assert data.endswith(b"}\n")
    for offset in range(len(data) - 1):  # everything short of the final newline
        cut_path.write_bytes(data[:offset])
        with pytest.raises(ResultsError, match="truncated") as info:
            load_results(cut_path)
        assert str(cut_path) in str(info.value)
    cut_path.write_bytes(data[:-1])  # only the trailing newline lost: nothing lost
    assert load_results(cut_path) == load_results(path)


def test_truncation_messages_say_which(tmp_path: Path) -> None:
    path = run(tmp_path, MIXED)
    data = path.read_bytes()
    (tmp_path / "half.json").write_bytes(data[: len(data) // 2])
    with pytest.raises(ResultsError, match="truncated: not valid JSON"):
        load_results(tmp_path / "half.json")
    document = json.loads(data)
    del document["footer"]
    (tmp_path / "nofooter.json").write_text(json.dumps(document))
    with pytest.raises(ResultsError, match="truncated: valid JSON but no footer"):
        load_results(tmp_path / "nofooter.json")
    (tmp_path / "empty.json").write_bytes(b"")
    with pytest.raises(ResultsError, match="empty"):
        load_results(tmp_path / "empty.json")
    with pytest.raises(ResultsError, match="cannot read"):
        load_results(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.update(format="other/9"), "format is 'other/9'"),
        (lambda d: d["results"][0].update(status="passed"), "/results/0/status"),
        (lambda d: d["results"][1].pop("diff"), "/results/1"),
        (lambda d: d["header"].pop("run_id"), "/header"),
        (lambda d: d["footer"].update(finished="yesterday"), "/footer/finished"),
        (lambda d: d["footer"]["counts"].update(total=99), "disagree"),
        (lambda d: d["results"][0].update(unexpected_pass=True, status="fail"), "/results/0"),
    ],
)
def test_invalid_documents_are_refused(tmp_path: Path, mutate: Any, needle: str) -> None:
    document = load_results(run(tmp_path, MIXED))
    mutate(document)
    (tmp_path / "bad.json").write_text(json.dumps(document))
    with pytest.raises(ResultsError, match=needle):
        load_results(tmp_path / "bad.json")


@pytest.mark.parametrize("text", ["[1, 2]", '{"format": "snapconform-results/1"} x', "\xff\xfe"])
def test_not_results_at_all(tmp_path: Path, text: str) -> None:
    (tmp_path / "x.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(ResultsError):
        load_results(tmp_path / "x.json")


# --------------------------------------------------------------------------- misuse


def test_bad_records_are_refused_when_added(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="status"):
        result("x", "passed")
    with pytest.raises(ValueError, match="duration"):
        result("x", duration=float("nan"))
    with pytest.raises(ValueError, match="negative"):
        result("x", duration=-1.0)
    writer = ResultsWriter(tmp_path, header())
    with pytest.raises(ResultsError, match="/expected"):
        writer.add(result("x", expected={"xml": "<a/>"}))
    with pytest.raises(ResultsError, match="not JSON"):
        writer.add(result("x", actual={"outcome": "accepted", "xml": "<a/>", "t": object()}))
    assert writer.records() == []


def test_bad_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="started"):
        ResultsWriter(tmp_path, header(started="2025-01-01 00:00 CET"))
    with pytest.raises(ResultsError, match="connectable"):
        ResultsWriter(tmp_path, header(implementation={"name": "x"}))
    assert not (tmp_path / "results.json").exists()


def test_closed_writer(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path, header())
    path = writer.close(complete=True)
    assert writer.close(complete=False) == path  # a second close changes nothing
    assert load_results(path)["footer"]["complete"] is True
    with pytest.raises(RuntimeError, match="closed"):
        writer.add(result("late"))
    with pytest.raises(RuntimeError, match="closed"):
        writer.flush()
    assert names(tmp_path) == {"results.json", "junit.xml"}


def test_run_ids_are_unique_and_sortable() -> None:
    ids = [new_run_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert sorted(ids) == ids
    assert all(len(i) == len(ids[0]) and i[8] == "T" for i in ids)
    later = new_run_id()
    time.sleep(0.002)
    assert new_run_id() > later
