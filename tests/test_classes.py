"""Conformance classes: which cases belong to which, how the model class judges, and that
an implementation is held to exactly the classes it claims."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from harness.classes import case_classes
from harness.compare_model import compare_model
from harness.contract import ConformanceClass, Identity, Level, Operation, identity_from_wire
from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
from tests.test_suite import statuses, suite

PROFILE = "libvirt-9.0-qemu"
MODEL = ConformanceClass.MODEL


def syntax_cases() -> list[tuple[str, str, str | None, bool]]:
    """(id, outcome, code, in the model class) of every syntax case, from the corpus data."""
    out = []
    for case in load_corpus(default_corpus()).cases:
        exp = case.expectation_for(PROFILE)
        if case.level is Level.SYNTAX and exp is not None:
            out.append((case.id, exp.outcome, exp.code, MODEL in case_classes(case, exp)))
    return out


def test_model_class_holds_only_documents_parser_and_schema_agree_on() -> None:
    corpus = load_corpus(default_corpus())
    for case in corpus.cases:
        exp = case.expectation_for(PROFILE)
        if exp is None or MODEL not in case_classes(case, exp):
            continue
        assert case.level is Level.SYNTAX
        assert case.rng == ("valid" if exp.outcome == "accepted" else "invalid"), case.id
    # a document libvirt's parser accepts but its schema rejects is not a model case
    raw = corpus.case("syntax-disk-driver-raw")
    assert raw.rng == "invalid" and raw.expectation_for(PROFILE).outcome == "accepted"  # type: ignore[union-attr]
    assert case_classes(raw, raw.expectation_for(PROFILE)) == (ConformanceClass.LIBVIRT_FORMAT,)
    # ... nor one the schema allows but the parser refuses
    shutoff = corpus.case("syntax-memory-external-state-shutoff")
    assert shutoff.rng == "valid"
    assert MODEL not in case_classes(shutoff, shutoff.expectation_for(PROFILE))


def test_identity_without_classes_gets_each_levels_strictest_class() -> None:
    wire = {"contract": "1", "name": "x", "version": "1", "levels": ["syntax", "semantics"],
            "operations": ["parse"]}  # fmt: skip
    identity = identity_from_wire(wire)
    assert identity.claimed_classes() == {
        ConformanceClass.LIBVIRT_FORMAT,
        ConformanceClass.SEMANTICS,
    }
    claimed = identity_from_wire(wire | {"classes": ["model"]})
    assert claimed.claimed_classes() == {MODEL}
    assert isinstance(claimed, Identity) and claimed.supports(Level.SYNTAX, Operation.PARSE)


# --------------------------------------------------------------------------- compare_model

SOURCE = "<domainsnapshot><name>s</name><state>running</state><memory file='/m'/></domainsnapshot>"
LIBVIRT = (
    "<domainsnapshot><name>s</name><state>running</state>"
    "<memory snapshot='external' file='/m'/></domainsnapshot>"
)


def test_model_comparison_accepts_reordering_and_missing_formatter_defaults() -> None:
    reordered = (
        "<domainsnapshot><memory file='/m'/><state>running</state><name>s</name></domainsnapshot>"
    )
    assert compare_model(SOURCE, LIBVIRT, reordered).equal
    assert compare_model(SOURCE, LIBVIRT, LIBVIRT).equal


def test_model_comparison_fails_lost_invented_and_wrong_default_content() -> None:
    lost = "<domainsnapshot><name>s</name><memory file='/m'/></domainsnapshot>"
    result = compare_model(SOURCE, LIBVIRT, lost)
    assert not result.equal and result.problems == (
        "missing: element /domainsnapshot/state[1] (and all it holds)",
    )
    invented = LIBVIRT.replace("</domainsnapshot>", "<description>x</description></domainsnapshot>")
    assert (
        "unexpected: element /domainsnapshot/description[1] (and all it holds)"
        in compare_model(SOURCE, LIBVIRT, invented).problems
    )
    wrong_default = LIBVIRT.replace("external", "internal")
    result = compare_model(SOURCE, LIBVIRT, wrong_default)
    assert result.problems == (
        "changed: /domainsnapshot/memory[1] @snapshot: expected 'external', got 'internal'",
    )
    report = result.report()
    assert report.index("--- expected") < report.index("changed:")  # the diff reads first


def test_model_comparison_keeps_the_order_of_disks() -> None:
    disks = (
        "<domainsnapshot><name>s</name>"
        "<disks><disk name='vda'/><disk name='vdb'/></disks></domainsnapshot>"
    )
    swapped = disks.replace("vda", "X").replace("vdb", "vda").replace("X", "vdb")
    assert not compare_model(disks, disks, swapped).equal


# --------------------------------------------------------------------------- end to end


def test_correct_model_in_another_order_without_codes_passes_model_fails_libvirt_format(
    tmp_path: Path,
) -> None:
    cases = syntax_cases()
    model = {cid for cid, _, _, in_model in cases if in_model}
    assert len(model) > 20
    code, results, out = suite(
        "python:impls.reordered_model", tmp_path / "m", "--class", "model", "-n", "2"
    )
    assert code == 0, out[-3000:]
    assert {k for k, v in statuses(results).items() if v == "pass"} == model
    assert results["footer"]["classes"]["model"]["pass"] == len(model)
    # libvirt-format: every accepted document (its element order) and every rejection
    # whose code the corpus states fails; computed from the corpus, not from a run
    expected_fail = {cid for cid, outcome, code_, _ in cases if outcome == "accepted" or code_}
    assert len(expected_fail) > 30
    code, results, out = suite(
        "python:impls.reordered_model", tmp_path / "f", "--class", "libvirt-format", "-n", "2"
    )
    assert code == 1
    assert {k for k, v in statuses(results).items() if v == "fail"} == expected_fail
    assert {r["id"] for r in results["results"]} == {cid for cid, *_ in cases}


def test_both_classes_in_one_run_are_reported_per_class(tmp_path: Path) -> None:
    code, results, out = suite("python:impls.reordered_model", tmp_path, "--tag", "memory")
    assert code == 1
    by_id = {r["id"]: r for r in results["results"]}
    record = by_id["syntax-memory-external-file"]
    assert record["classes"] == {"model": "pass", "libvirt-format": "fail"}
    assert record["status"] == "fail" and "[libvirt-format class]" in record["message"]
    assert all("memory" in case.tags for case in load_corpus(default_corpus()).cases
               if case.id in by_id)  # fmt: skip
    assert "class model:" in out and "class libvirt-format:" in out


def test_unclaimed_class_is_a_usage_error(tmp_path: Path) -> None:
    code, _, out = suite("python:impls.reordered_model", tmp_path, "--class", "semantics")
    assert code == 4 and "does not claim it" in out


def test_strict_expectations_fail_a_run_whose_results_changed(tmp_path: Path) -> None:
    known = tmp_path / "known.json"
    known.write_text(
        json.dumps(
            {
                "implementation": "reordered-model",
                "cases": {
                    "syntax-memory-no": {"status": "fail", "reason": "listed but passes"},
                },
            }
        )
    )
    args = ("--class", "model", "--level", "syntax", "--expectations", str(known))
    code, _, out = suite("python:impls.reordered_model", tmp_path / "a", *args)
    assert code == 0, out[-2000:]  # an unexpected pass alone does not fail a lenient run
    code, _, out = suite(
        "python:impls.reordered_model", tmp_path / "b", *args, "--strict-expectations"
    )
    assert code == 1
    assert "EXPECTATIONS CHANGED: syntax-memory-no: listed as fail, ended pass" in out


def test_reference_passes_every_model_case() -> None:
    # the reference writes libvirt's own bytes, so the model comparison must pass them
    corpus = load_corpus(default_corpus())
    tokens = {"@UUID@": "0b5c8f56-6a3e-4c43-9a53-2f0d1b1c2e11", "@SCRATCH@": "/s"}
    for case in corpus.cases:
        exp = case.expectation_for(PROFILE)
        if exp is None or exp.output is None or MODEL not in case_classes(case, exp):
            continue
        out = case.read(exp.output, tokens)
        etree.fromstring(out.encode())
        assert compare_model(case.input_xml(tokens), out, out, masks=case.masks).equal
