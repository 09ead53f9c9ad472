"""Schema coverage (harness.corpus.coverage): the items a RELAX NG grammar has, which cases
exercise them, and the verdict check gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.corpus import coverage as cov
from harness.corpus.lint import LINT_TOKENS, check
from harness.corpus.loader import scan
from harness.paths import default_corpus
from tests.test_suite import run_cli

NS = 'xmlns="http://relaxng.org/ns/structure/1.0"'


def _schema(tmp_path: Path) -> Path:
    (tmp_path / "common.rng").write_text(
        f"""<grammar {NS}>
  <define name="src"><element name="source"><optional><attribute name="file"/></optional>
    <ref name="extra"/></element></define>
  <define name="extra"><notAllowed/></define>
  <define name="any"><element><anyName/><zeroOrMore><choice>
    <attribute><anyName/></attribute><ref name="any"/></choice></zeroOrMore></element></define>
</grammar>"""
    )
    (tmp_path / "nested.rng").write_text(
        f"""<grammar {NS}><start><ref name="d"/></start>
  <define name="d"><element name="domain"><text/></element></define></grammar>"""
    )
    main = tmp_path / "snap.rng"
    main.write_text(
        f"""<grammar {NS}>
  <start><ref name="root"/></start>
  <include href="common.rng"/>
  <define name="extra" combine="choice"><element name="seclabel"/></define>
  <define name="root"><element name="domainsnapshot"><interleave>
    <optional><element name="disk"><attribute name="name"/><ref name="src"/></element></optional>
    <optional><element name="cookie"><zeroOrMore><ref name="any"/></zeroOrMore></element></optional>
    <optional><grammar><include href="nested.rng"/></grammar></optional>
  </interleave></element></define>
</grammar>"""
    )
    return main


def test_items_follow_refs_includes_and_combines(tmp_path: Path) -> None:
    items = cov.schema_items(_schema(tmp_path))
    assert items == {
        "domainsnapshot": "element",
        "domainsnapshot/cookie": "element",
        "domainsnapshot/cookie/*": "element",
        "domainsnapshot/cookie/*/@*": "attribute",
        "domainsnapshot/disk": "element",
        "domainsnapshot/disk/@name": "attribute",
        "domainsnapshot/disk/source": "element",
        "domainsnapshot/disk/source/@file": "attribute",
        "domainsnapshot/disk/source/seclabel": "element",
        "domainsnapshot/domain": "grammar",
    }


def _coverage(tmp_path: Path, exceptions: dict[str, str]) -> cov.Coverage:
    items = cov.schema_items(_schema(tmp_path))
    cases = {i: (["c1"] if "disk" in i or i == "domainsnapshot" else []) for i in items}
    return cov.Coverage(items, cases, exceptions)


def test_an_item_without_case_or_exception_is_a_problem(tmp_path: Path) -> None:
    found = cov.problems(_coverage(tmp_path, {}))
    assert any("domainsnapshot/cookie/*/@*: no case exercises it" in p for p in found)
    explained = {
        "domainsnapshot/cookie": "why",
        "domainsnapshot/cookie/*": "why",
        "domainsnapshot/cookie/*/@*": "why",
        "domainsnapshot/domain": "why",
    }
    assert cov.problems(_coverage(tmp_path, explained)) == []


def test_a_stale_exception_is_a_problem(tmp_path: Path) -> None:
    found = cov.problems(_coverage(tmp_path, {"domainsnapshot/disk": "x", "gone/@x": "y"}))
    assert any(
        "domainsnapshot/disk: listed as an exception but a case exercises it" in p for p in found
    )
    assert any("gone/@x: listed as an exception but not in" in p for p in found)


needs_schema = pytest.mark.needs("libvirt-schemas")


@needs_schema
def test_our_corpus_covers_the_installed_schema() -> None:
    root = default_corpus()
    corpus, _ = scan(root)
    result = cov.coverage(corpus, root, LINT_TOKENS)
    assert "domainsnapshot/memory/@snapshot" in result.items
    assert "domainsnapshot/disks/disk/source/host/@transport" in result.items
    assert result.cases["domainsnapshot/active"] == ["syntax-active-ignored"]
    assert cov.problems(result) == []


@needs_schema
def test_check_fails_when_a_case_goes_missing(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "corpus"
    shutil.copytree(default_corpus(), root)
    shutil.rmtree(root / "cases" / "syntax-active-ignored")
    report = check(root)
    assert any("domainsnapshot/active: no case exercises it" in p for p in report.problems)


@needs_schema
def test_cli_prints_the_map_and_json() -> None:
    done = run_cli("coverage")
    assert done.returncode == 0, done.stderr
    assert "domainsnapshot/disks/disk/@name [attribute]:" in done.stdout
    data = json.loads(run_cli("coverage", "--json").stdout)
    assert data["percent"] > 90


def test_coverage_without_the_schema(tmp_path: Path) -> None:
    """A bare machine (tox -e py) has no libvirt schema: --if-installed says so and passes;
    without it the command refuses, naming the package."""
    absent = str(tmp_path / "domainsnapshot.rng")
    done = run_cli("coverage", "--schema", absent, "--if-installed")
    assert done.returncode == 0 and done.stderr.startswith("notice: ") and not done.stdout
    done = run_cli("coverage", "--schema", absent)
    assert done.returncode == 2 and "libvirt-clients" in done.stderr
