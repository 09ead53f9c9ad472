"""Deliberately wrong implementations fail exactly the cases they should.

The expected sets are computed from the corpus's own data (what each case expects), not
from running anything, and must not be empty.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
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


def failed(results: dict[str, object]) -> set[str]:
    return {k for k, v in statuses(results).items() if v != "pass" and v != "not-applicable"}


def test_reference_passes_everything(tmp_path: Path) -> None:
    code, results, out = suite("python:harness.reference", tmp_path, "-n", "2")
    assert code == 0, out[-3000:]
    assert failed(results) == set()
    assert results["footer"]["counts"]["pass"] == len(load_corpus(default_corpus()).cases)


def test_never_emitting_memory_fails_every_case_that_expects_it(tmp_path: Path) -> None:
    expected = {case_id for case_id, doc in accepted_cases() if doc.find("memory") is not None}
    assert len(expected) > 20
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
    _, results, _ = suite("python:impls.wrong:offline_internal", tmp_path, "-n", "2")
    assert failed(results) == expected
