"""`snapconform mutants`: every rule has a mutant, every mutant dies, a survivor fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.judge import Verdict
from harness.mutants import reference as ref
from harness.mutants.run import weak
from harness.paths import default_corpus
from harness.rules import load_catalogue


def test_every_rule_has_a_reference_mutant_and_every_mutant_a_rule() -> None:
    ids = load_catalogue(default_corpus()).ids()
    assert {m.rule for m in ref.MUTANTS.values()} == ids


def test_reference_mutants_are_all_killed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutants", "--kind", "reference"]) == 0
    out = capsys.readouterr().out
    assert "score 100.0 %" in out
    assert "survived" not in out
    line = next(x for x in out.splitlines() if "reference parse-memory-external-requires-file" in x)
    assert line.split()[0] == "killed" and "syntax-memory-external-without-file" in line


def test_a_mutant_is_a_python_connectable() -> None:
    impl = ref.__getattr__("qemu__parse-memory-external-requires-file")
    request = {
        "level": "syntax",
        "operation": "parse",
        "xml": "<domainsnapshot><name>s</name><state>running</state>"
        "<creationTime>1</creationTime><memory snapshot='external'/></domainsnapshot>",
    }
    assert impl.run(request)["outcome"] == "accepted"  # the check is left out


def test_a_survivor_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus(), corpus)
    data = json.loads((corpus / "rules.json").read_text())
    for rule in data["rules"]:
        if rule["id"] == "parse-memory-external-requires-file":
            rule["cases"] = ["syntax-memory-no"]  # a case that does not exercise the rule
    (corpus / "rules.json").write_text(json.dumps(data))
    args = ["mutants", "--corpus", str(corpus), "--kind", "reference"]
    assert main([*args, "--rule", "parse-memory-external-requires-file"]) == 1
    out = capsys.readouterr().out
    assert "survived        reference parse-memory-external-requires-file" in out


def test_weak_is_a_message_only_difference() -> None:
    want = {"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR", "message": "a"}
    same_code = {"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR"}
    other_code = {"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_INTERNAL_ERROR"}
    assert weak(Verdict("fail", "m", None, want, same_code))
    assert not weak(Verdict("fail", "m", None, want, other_code))
    assert not weak(Verdict("fail", "m", None, want, {"outcome": "accepted", "xml": "<x/>"}))


@pytest.mark.needs("libvirt-python")
def test_binding_mutants_on_the_test_driver(capsys: pytest.CaptureFixture[str]) -> None:
    rules = ["parse-memory-external-requires-file", "format-element-order", "test-no-prepare"]
    args = ["mutants", "--kind", "binding", "--uri", "test:///default"]
    assert main([*args, *(f"--rule={r}" for r in rules)]) == 0
    out = capsys.readouterr().out
    assert "3 binding mutants" in out and "score 100.0 %" in out
