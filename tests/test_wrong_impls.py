"""Deliberately wrong implementations fail exactly the cases they should.

The expected sets are computed from the corpus's own data (what each case expects), not
from running anything, and must not be empty.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
from harness.table.cells import request_for
from harness.table.loader import load_table
from harness.table.model import CellKey, Result
from tests.test_suite import statuses, suite

PROFILE = "libvirt-9.0-qemu"


def accepted_cases() -> list[tuple[str, etree._Element]]:
    out = []
    for case in load_corpus(default_corpus()).cases:
        exp = case.expectation_for(PROFILE)
        if exp is not None and exp.outcome == "accepted":
            assert exp.output is not None
            out.append((case.id, etree.fromstring((case.path / exp.output).read_bytes())))
    return out


def table_cells() -> dict[str, tuple[CellKey, Result]]:
    """The defined cells of the profile's table, by case id (they run as cases too)."""
    table = load_table(default_corpus(), PROFILE)
    return {key.id: (key, result) for key, result in table.defined_cells().items()}


def failed(results: dict[str, object]) -> set[str]:
    return {k for k, v in statuses(results).items() if v != "pass" and v != "not-applicable"}


def test_reference_passes_everything(tmp_path: Path) -> None:
    code, results, out = suite("python:harness.reference", tmp_path, "-n", "2")
    assert code == 0, out[-3000:]
    assert failed(results) == set()
    cases = len(load_corpus(default_corpus()).cases)
    assert results["footer"]["counts"]["pass"] == cases + len(table_cells())


def test_never_emitting_memory_fails_every_case_that_expects_it(tmp_path: Path) -> None:
    expected = {case_id for case_id, doc in accepted_cases() if doc.find("memory") is not None}
    assert len(expected) > 20
    # a cell that is accepted states the memory mode libvirt resolved
    expected |= {
        cell_id
        for cell_id, (_, result) in table_cells().items()
        if result.outcome == "accepted" and result.memory
    }
    _, results, _ = suite("python:impls.wrong:no_memory", tmp_path, "-n", "2")
    assert failed(results) == expected


def test_offline_internal_default_fails_the_offline_default_cases(tmp_path: Path) -> None:
    from tests.impls.wrong import memory_left_to_default

    corpus = load_corpus(default_corpus())
    expected = set()
    for case in corpus.cases:
        exp = case.expectation_for(PROFILE)
        ctx = case.context_data or {}
        if (
            exp is not None
            and exp.outcome == "accepted"
            and case.operation == "create"
            and ctx.get("state") == "shutoff"
            and "disk-only" not in ctx.get("flags", [])
            and memory_left_to_default(case.input_xml())
        ):
            expected.add(case.id)
    assert len(expected) >= 2
    for cell_id, (key, result) in table_cells().items():
        request = request_for(key, {"@SCRATCH@": "/s"})
        assert request.context is not None
        if (
            result.outcome == "accepted"
            and result.stored  # an unstored answer has no definition for it to get wrong
            and request.context.state == "shutoff"
            and "disk-only" not in request.context.flags
            and memory_left_to_default(request.xml)
        ):
            expected.add(cell_id)
    _, results, _ = suite("python:impls.wrong:offline_internal", tmp_path, "-n", "2")
    assert failed(results) == expected
