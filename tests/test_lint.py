"""`snapconform check` on deliberately broken corpora: each break gives its own problem."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.corpus.lint import check
from harness.paths import default_corpus


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def problems(root: Path) -> list[str]:
    return check(root, use_rng=False).problems


def test_mini_corpus_is_clean(mini_corpus: Path) -> None:
    assert problems(mini_corpus) == []


def test_bundled_corpus_is_clean() -> None:
    report = check(default_corpus())
    assert report.problems == []
    assert report.corpus is not None and len(report.corpus.cases) >= 60


def test_schema_violation_is_reported_with_location(mini_corpus: Path) -> None:
    edit_json(mini_corpus / "cases/accepted-case/case.json", lambda d: d.update(level="bogus"))
    found = problems(mini_corpus)
    assert any("accepted-case/case.json: level: 'bogus' is not one of" in p for p in found)


def test_should_in_description(mini_corpus: Path) -> None:
    edit_json(
        mini_corpus / "cases/accepted-case/case.json",
        lambda d: d.update(description="file alone should mean external memory"),
    )
    assert any("says 'should'" in p for p in problems(mini_corpus))


def test_full_stop_and_duplicate_description(mini_corpus: Path) -> None:
    edit_json(
        mini_corpus / "cases/accepted-case/case.json",
        lambda d: d.update(description="external memory without file is rejected."),
    )
    found = problems(mini_corpus)
    assert any("ends with a full stop" in p for p in found)
    edit_json(
        mini_corpus / "cases/accepted-case/case.json",
        lambda d: d.update(description="external memory without file is rejected"),
    )
    assert sum("shared with another case" in p for p in problems(mini_corpus)) == 2


def test_missing_referenced_file(mini_corpus: Path) -> None:
    (mini_corpus / "cases/accepted-case/expected.xml").unlink()
    assert "accepted-case: expected.xml: referenced but missing" in problems(mini_corpus)


def test_orphan_file(mini_corpus: Path) -> None:
    (mini_corpus / "cases/rejected-case/leftover.xml").write_text("<domainsnapshot/>")
    assert any("leftover.xml: file not referenced" in p for p in problems(mini_corpus))


def test_malformed_xml(mini_corpus: Path) -> None:
    (mini_corpus / "cases/accepted-case/expected.xml").write_text("<domainsnapshot><name>")
    assert any("expected.xml is not well-formed XML" in p for p in problems(mini_corpus))


def test_malformed_input_allowed_only_when_tagged(mini_corpus: Path) -> None:
    (mini_corpus / "cases/rejected-case/input.xml").write_text("<domainsnapshot>")
    assert any("input.xml is not well-formed" in p for p in problems(mini_corpus))
    edit_json(
        mini_corpus / "cases/rejected-case/case.json",
        lambda d: d["tags"].append("malformed-xml"),
    )
    assert problems(mini_corpus) == []


def test_wrong_root_in_expected_output(mini_corpus: Path) -> None:
    (mini_corpus / "cases/accepted-case/expected.xml").write_text("<domain/>")
    assert any("root element is <domain>" in p for p in problems(mini_corpus))


def test_doctype_refused(mini_corpus: Path) -> None:
    (mini_corpus / "cases/accepted-case/expected.xml").write_text(
        '<!DOCTYPE d [<!ENTITY x "y">]><domainsnapshot>&x;</domainsnapshot>'
    )
    assert any("DOCTYPE" in p for p in problems(mini_corpus))


def test_unknown_profile_and_missing_provenance(mini_corpus: Path) -> None:
    def change(d: Any) -> None:
        d["expect"][0]["profiles"] = ["alpha", "gamma"]
        d["expect"][0]["provenance"] = [{"source": "seed-design", "detail": "only the seed"}]

    edit_json(mini_corpus / "cases/accepted-case/case.json", change)
    found = problems(mini_corpus)
    assert any("unknown profile 'gamma'" in p for p in found)
    assert any("no provenance that profile 'alpha' accepts" in p for p in found)


def test_profile_listed_twice(mini_corpus: Path) -> None:
    def change(d: Any) -> None:
        d["expect"].append(dict(d["expect"][0], profiles=["alpha"]))

    edit_json(mini_corpus / "cases/rejected-case/case.json", change)
    assert any("profile 'alpha' has 2 expectations" in p for p in problems(mini_corpus))


def test_code_contradicts_kind(mini_corpus: Path) -> None:
    edit_json(
        mini_corpus / "cases/rejected-case/case.json",
        lambda d: d["expect"][0].update(kind="unsupported"),
    )
    assert any("VIR_ERR_XML_ERROR means kind invalid" in p for p in problems(mini_corpus))


def test_bad_case_id_and_stray_file(mini_corpus: Path) -> None:
    shutil.copytree(mini_corpus / "cases/accepted-case", mini_corpus / "cases/Bad_Id")
    (mini_corpus / "cases/README").write_text("x")
    found = problems(mini_corpus)
    assert any("Bad_Id: case id must be" in p for p in found)
    assert any("stray file" in p for p in found)


def test_renames(mini_corpus: Path) -> None:
    (mini_corpus / "renames.json").write_text(
        json.dumps({"accepted-case": "somewhere", "old-name": "rejected-case"})
    )
    found = problems(mini_corpus)
    assert "renames.json: old id 'accepted-case' still exists as a case" in found
    assert "renames.json: 'accepted-case' renamed to 'somewhere', which is no case" in found
    assert not any("old-name" in p for p in found)


def test_invalid_json(mini_corpus: Path) -> None:
    (mini_corpus / "cases/accepted-case/case.json").write_text("{nope")
    assert any("cannot read JSON" in p for p in problems(mini_corpus))


def test_missing_corpus_dir(tmp_path: Path) -> None:
    assert "no such corpus directory" in problems(tmp_path / "nope")[0]


@pytest.mark.needs("libvirt-schemas")
def test_rng_claims_are_checked(mini_corpus: Path) -> None:
    edit_json(mini_corpus / "cases/accepted-case/case.json", lambda d: d.update(rng="valid"))
    edit_json(mini_corpus / "cases/rejected-case/case.json", lambda d: d.update(rng="invalid"))
    assert check(mini_corpus).problems == []
    edit_json(mini_corpus / "cases/rejected-case/case.json", lambda d: d.update(rng="valid"))
    assert any("fails domainsnapshot.rng" in p for p in check(mini_corpus).problems)


def test_rng_missing_gives_notice(mini_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.corpus.lint.LIBVIRT_RNG", mini_corpus / "absent.rng")
    report = check(mini_corpus)
    assert report.ok
    assert any("not checked" in n for n in report.notices)


def test_cli_exit_status(mini_corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--corpus", str(mini_corpus), "--no-rng"]) == 0
    (mini_corpus / "cases/accepted-case/expected.xml").unlink()
    assert main(["check", "--corpus", str(mini_corpus), "--no-rng"]) == 1
    out = capsys.readouterr().out
    assert "1 problem(s)" in out and "referenced but missing" in out


def test_list_filters_and_cells(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--level", "syntax", "--tag", "memory"]) == 0
    ids = capsys.readouterr().out.split()
    assert ids and all(i.startswith("syntax-") for i in ids)
    assert main(["list", "--level", "syntax", "--cells", "plan-1.0.1"]) == 0
    ids = capsys.readouterr().out.split()
    assert sum(i.startswith("table-") for i in ids) == 80
    assert main(["list", "--cells", "no-such-profile"]) == 1
