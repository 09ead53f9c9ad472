"""``snapconform check``: lint a corpus against its schema and its own rules."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from harness.contract import CONTRACT_VERSION, SCRATCH_TOKEN, UUID_TOKEN, kind_for_code
from harness.corpus.loader import scan
from harness.corpus.model import Case, Corpus, CorpusError, read_text, substitute
from harness.xmlsafe import XmlError, parse_xml

if TYPE_CHECKING:
    from harness.rules import Catalogue

#: libvirt's installed RELAX NG schema; used at run time, never copied into the repository.
LIBVIRT_RNG = Path("/usr/share/libvirt/schemas/domainsnapshot.rng")

#: Tag that allows a case's input to be malformed XML on purpose.
MALFORMED_TAG = "malformed-xml"

SHOULD = re.compile(r"\bshould\b", re.IGNORECASE)
LINT_TOKENS = {
    SCRATCH_TOKEN: "/var/lib/snapconform-scratch",
    UUID_TOKEN: "5e3c0f00-5e30-4000-8000-00000000c0de",
}


@dataclass(frozen=True)
class Report:
    problems: list[str]
    notices: list[str]
    corpus: Corpus | None

    @property
    def ok(self) -> bool:
        return not self.problems


def _description_problems(case: Case) -> list[str]:
    text = case.description
    out = []
    if SHOULD.search(text):
        out.append("description says 'should'; state the fact instead")
    if text != text.strip() or "\n" in text:
        out.append("description must be one line without surrounding whitespace")
    if text.endswith("."):
        out.append("description ends with a full stop")
    return out


def _xml_problems(case: Case) -> list[str]:
    out = []
    malformed_ok = MALFORMED_TAG in case.tags
    for name in sorted(case.files() - {"case.json"}):
        path = case.path / name
        if not path.is_file():
            out.append(f"{name}: referenced but missing")
            continue
        try:
            root = parse_xml(read_text(path), what=name)
        except (XmlError, CorpusError, UnicodeDecodeError) as exc:
            if name == case.input and malformed_ok:
                continue
            out.append(str(exc))
            continue
        if name == case.input and malformed_ok:
            out.append(f"{name}: tagged {MALFORMED_TAG!r} but is well-formed")
        if name != case.input and root.tag != "domainsnapshot":
            out.append(f"{name}: root element is <{root.tag}>, not <domainsnapshot>")
    present = {p.name for p in case.path.iterdir()}
    for orphan in sorted(present - case.files()):
        out.append(f"{orphan}: file not referenced by case.json (orphan)")
    return out


def _expectation_problems(case: Case, corpus: Corpus) -> list[str]:
    out = []
    seen: Counter[str] = Counter(p for e in case.expectations for p in e.profiles)
    for profile, count in sorted(seen.items()):
        if count > 1:
            out.append(f"profile {profile!r} has {count} expectations")
    for i, exp in enumerate(case.expectations):
        where = f"expect[{i}]"
        for profile in exp.profiles:
            known = corpus.profiles.get(profile)
            if known is None:
                out.append(f"{where}: unknown profile {profile!r}")
            elif not exp.sources() & known.provenance:
                out.append(
                    f"{where}: no provenance that profile {profile!r} accepts "
                    f"(one of {sorted(known.provenance)})"
                )
        if exp.code is not None and exp.kind is not None:
            mapped = kind_for_code(exp.code)
            if mapped is None:
                out.append(f"{where}: unknown libvirt error code {exp.code}")
            elif mapped != exp.kind:
                out.append(f"{where}: code {exp.code} means kind {mapped}, not {exp.kind}")
    return out


def _rng_validator() -> etree.RelaxNG | None:
    if not LIBVIRT_RNG.is_file():
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.RelaxNG(etree.parse(str(LIBVIRT_RNG), parser))


def _rng_problems(case: Case, rng: etree.RelaxNG) -> list[str]:
    if case.rng is None:
        return []
    try:
        doc = parse_xml(substitute(read_text(case.path / case.input), LINT_TOKENS))
    except (XmlError, CorpusError, OSError, UnicodeDecodeError):
        valid = False
    else:
        valid = rng.validate(doc)
    if valid and case.rng == "invalid":
        return [f"input passes {LIBVIRT_RNG.name} but the case says rng 'invalid'"]
    if not valid and case.rng == "valid":
        detail = rng.error_log.last_error.message if rng.error_log.last_error else "?"
        return [f"input fails {LIBVIRT_RNG.name} ({detail}) but the case says rng 'valid'"]
    return []


def _rename_problems(corpus: Corpus) -> list[str]:
    ids = {c.id for c in corpus.cases}
    out = []
    for old, new in sorted(corpus.renames.items()):
        if old in ids:
            out.append(f"renames.json: old id {old!r} still exists as a case")
        if new not in ids and new not in corpus.renames:
            out.append(f"renames.json: {old!r} renamed to {new!r}, which is no case")
    return out


#: what libvirt says when a snapshot it was asked for by name is not there
_NOT_FOUND = "VIR_ERR_NO_DOMAIN_SNAPSHOT"


def recorded_from_read_back(code: str | None, message: str | None, name: str | None) -> bool:
    """True when a refusal names the very snapshot the request makes: libvirt refuses no
    create that way, so it was recorded from a read-back that failed afterwards (a
    --no-metadata snapshot is made, then cannot be found), not from libvirt's answer."""
    return code == _NOT_FOUND and name is not None and f"matching name '{name}'" in (message or "")


def _read_back_problems(case: Case) -> list[str]:
    try:
        name = parse_xml(case.input_xml(), what="input").findtext("name")
    except (OSError, XmlError, CorpusError):
        return []
    return [
        f"expect[{i}]: {_NOT_FOUND} for the case's own snapshot {name!r} was recorded from a "
        "failed read-back, not from the request"
        for i, exp in enumerate(case.expectations)
        if recorded_from_read_back(exp.code, exp.message, name)
    ]


def _table_problems(corpus: Corpus) -> list[str]:
    from harness.table.cells import SNAPSHOT_NAME
    from harness.table.loader import load_axes, load_table, table_files

    files = table_files(corpus.root)
    if not files:
        return []
    try:
        axes = load_axes(corpus.root)
    except (OSError, KeyError, ValueError, CorpusError) as exc:
        return [f"tables/axes.json: cannot load: {exc}"]
    out = []
    for profile in files:
        where = f"tables/{profile}.json"
        if profile not in corpus.profiles:
            out.append(f"{where}: no profile {profile!r} in profiles/")
            continue
        try:
            table = load_table(corpus.root, profile, axes)
        except CorpusError as exc:
            out.extend(exc.problems)
            continue
        out.extend(f"{where}: {p}" for p in table.problems(axes))
        accepted = corpus.profiles[profile].provenance
        for row in table.rows:
            if row.result.defined and not {p["source"] for p in row.provenance} & accepted:
                out.append(
                    f"{where}: row {row.index}: no provenance that profile {profile!r} accepts"
                )
            if recorded_from_read_back(row.result.code, row.result.message, SNAPSHOT_NAME):
                out.append(
                    f"{where}: row {row.index}: {_NOT_FOUND} for the cell's own snapshot was "
                    "recorded from a failed read-back, not from the request"
                )
    return out


def _rule_problems(corpus: Corpus, notices: list[str]) -> list[str]:
    from harness.rules import load_catalogue, problems, rules_path

    if not rules_path(corpus.root).is_file():
        claimed = sorted(c.id for c in corpus.cases if c.rules)
        if claimed:
            return [f"{c}: claims rules, but the corpus has no rules.json" for c in claimed]
        notices.append("no rules.json: the rule catalogue was not checked (docs/rules.md)")
        return []
    try:
        catalogue = load_catalogue(corpus.root)
    except CorpusError as exc:
        return list(exc.problems)
    return problems(catalogue, corpus) + _breaks_problems(catalogue, corpus)


def _breaks_problems(catalogue: Catalogue, corpus: Corpus) -> list[str]:
    """The recorded ``breaks`` of tables and expectations against what the data shows."""
    from harness import breaks
    from harness.table.loader import load_table, table_files

    tables = {}
    for profile in table_files(corpus.root):
        try:
            tables[profile] = load_table(corpus.root, profile)
        except CorpusError:
            continue  # reported by the table lint
    rows = {p: [r.breaks for r in t.rows] for p, t in tables.items()}
    expectations = {c.id: [e.breaks for e in c.expectations] for c in corpus.cases}
    return breaks.problems(catalogue, corpus, tables, rows, expectations)


def _schema_coverage_problems(
    corpus: Corpus, root: Path, notices: list[str], use_rng: bool
) -> list[str]:
    """Every element and attribute of the installed snapshot schema is exercised by a case
    or explained in coverage-exceptions.json (a corpus without that file is not held to
    it)."""
    from harness.corpus import coverage

    if not use_rng:
        return []
    if not (root / coverage.EXCEPTIONS).is_file():
        notices.append(f"no {coverage.EXCEPTIONS}: schema coverage was not checked")
        return []
    if not coverage.SCHEMA.is_file():
        notices.append(f"{coverage.SCHEMA} not found: schema coverage was not checked")
        return []
    try:
        return coverage.problems(coverage.coverage(corpus, root, LINT_TOKENS))
    except (OSError, ValueError, etree.LxmlError) as exc:
        return [f"{coverage.EXCEPTIONS}: cannot compute schema coverage: {exc}"]


def check(root: Path, *, use_rng: bool = True) -> Report:
    """Lint the corpus at ``root``."""
    notices: list[str] = []
    try:
        corpus, problems = scan(root)
    except CorpusError as exc:
        return Report(list(exc.problems), notices, None)
    if corpus.contract and corpus.contract != CONTRACT_VERSION:
        problems.append(
            f"corpus.json: contract {corpus.contract!r}, harness speaks {CONTRACT_VERSION!r}"
        )
    rng = _rng_validator() if use_rng else None
    if rng is None:
        notices.append(
            f"{LIBVIRT_RNG} not found: 'rng' fields were not checked "
            "(install libvirt's schemas, e.g. the libvirt-clients package, to check them)"
        )
    descriptions: Counter[str] = Counter(c.description for c in corpus.cases)
    for case in corpus.cases:
        found = _description_problems(case)
        if descriptions[case.description] > 1:
            found.append("description is shared with another case")
        found += _xml_problems(case)
        found += _expectation_problems(case, corpus)
        found += _read_back_problems(case)
        if rng is not None:
            found += _rng_problems(case, rng)
        problems.extend(f"{case.id}: {p}" for p in found)
    problems.extend(_rename_problems(corpus))
    problems.extend(_table_problems(corpus))
    problems.extend(_rule_problems(corpus, notices))
    problems.extend(_schema_coverage_problems(corpus, root, notices, use_rng))
    if not corpus.cases:
        problems.append("the corpus has no case")
    return Report(problems, notices, corpus)
