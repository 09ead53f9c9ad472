"""The rule catalogue: `snapconform check` enforces it, `snapconform rules` prints its map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.corpus.lint import check
from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
from harness.rules import coverage, load_catalogue, universe


def _rule(rule_id: str, cases: list[str], profiles: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": rule_id,
        "statement": f"{rule_id} is a stated fact",
        "profiles": profiles or ["alpha"],
        "sources": [{"source": "libvirt-docs", "detail": "docs/formatsnapshot.rst"}],
        "cases": cases,
    }


def _write(root: Path, *rules: dict[str, Any]) -> None:
    (root / "rules.json").write_text(json.dumps({"rules": list(rules)}))


def _problems(root: Path) -> list[str]:
    return check(root, use_rng=False).problems


def test_bundled_catalogue_covers_every_rule() -> None:
    root = default_corpus()
    catalogue = load_catalogue(root)
    covered = coverage(catalogue, universe(load_corpus(root)))
    assert len(catalogue.rules) >= 100
    assert all(covered[r.id] for r in catalogue.rules)
    # every row of the seed's 1.0.1 design table is a rule of its own
    assert {f"plan-row-{i:02d}" for i in range(1, 26)} <= catalogue.ids()


def test_mini_corpus_with_a_catalogue_is_clean(mini_corpus: Path) -> None:
    _write(mini_corpus, _rule("accepted-fact", ["accepted-case"]), _rule("globbed", ["*-case"]))
    assert _problems(mini_corpus) == []


def test_rule_without_a_case_fails(mini_corpus: Path) -> None:
    _write(mini_corpus, _rule("lonely", []))
    assert _problems(mini_corpus) == ["rules.json: rule lonely: no case exercises it"]


def test_a_case_counts_only_for_the_rules_profiles(mini_corpus: Path) -> None:
    # rejected-case is defined for alpha only
    _write(mini_corpus, _rule("beta-fact", ["rejected-case"], ["beta"]))
    found = _problems(mini_corpus)
    assert "rules.json: rule beta-fact: no case exercises it" in found
    assert any("matches no case defined for its profiles (beta)" in p for p in found)


def test_claim_of_a_missing_case_fails(mini_corpus: Path) -> None:
    _write(mini_corpus, _rule("fact", ["accepted-case", "no-such-case", "table-*-nothing"]))
    found = _problems(mini_corpus)
    missing = "rules.json: rule fact: claims 'no-such-case', which matches no case or table cell"
    assert missing in found
    assert any("'table-*-nothing'" in p for p in found)


def test_case_claiming_a_missing_rule_fails(mini_corpus: Path) -> None:
    _write(mini_corpus, _rule("fact", ["accepted-case"]))
    path = mini_corpus / "cases/rejected-case/case.json"
    data = json.loads(path.read_text())
    data["rules"] = ["fact", "no-such-rule"]
    path.write_text(json.dumps(data))
    assert _problems(mini_corpus) == [
        "rejected-case: claims rule 'no-such-rule', which is not in rules.json"
    ]


def test_a_case_claim_alone_covers_a_rule(mini_corpus: Path) -> None:
    _write(mini_corpus, _rule("claimed", []))
    path = mini_corpus / "cases/rejected-case/case.json"
    data = json.loads(path.read_text())
    data["rules"] = ["claimed"]
    path.write_text(json.dumps(data))
    assert _problems(mini_corpus) == []


def test_should_and_schema(mini_corpus: Path) -> None:
    bad = _rule("vague", ["accepted-case"])
    bad["statement"] = "the parser should refuse it."
    _write(mini_corpus, bad, {"id": "Bad Id"})
    found = _problems(mini_corpus)
    assert any(p.startswith("rules.json: rules/1") for p in found), found
    _write(mini_corpus, bad)
    found = _problems(mini_corpus)
    assert "rules.json: rule vague: statement says 'should'; state the fact instead" in found
    assert any("full stop" in p for p in found)


def test_corpus_without_catalogue_is_a_notice(mini_corpus: Path) -> None:
    report = check(mini_corpus, use_rng=False)
    assert report.problems == []
    assert any("no rules.json" in n for n in report.notices)


def test_rules_command_prints_the_map(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--rule", "qemu-no-mixing"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("qemu-no-mixing  (2 case(s); libvirt-9.0-qemu)")
    assert "    sem-off-diskonly-mix  [libvirt-9.0-qemu]" in out
    assert main(["rules", "--json", "--rule", "plan-row-03"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["id"] == "plan-row-03"
    assert entry["cases"]["table-shutoff-no-no-full-qcow2"] == ["plan-1.0.1"]
    assert main(["rules", "--rule", "nope"]) == 1
    assert "no rule nope" in capsys.readouterr().err
