"""Which stated rules a profile breaks, cell by cell and case by case.

A rule is *stated* when the seed's design or libvirt's documentation says it (a source
``seed-design`` or ``libvirt-docs`` in ``corpus/rules.json``). A profile breaks such a rule
on a table cell or corpus case when the rule claims that cell or case, the profile is not
one the rule holds for, and the profile's answer differs from the answer of every profile
the rule holds for that defines the cell or case. Profiles record these as ``breaks`` (on
table rows and on expectations); ``snapconform check`` holds the records to this
derivation, and the table printout and ``diff-profiles`` name the rules.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.compare import canonicalize
from harness.corpus.model import Case, Corpus, CorpusError, Expectation
from harness.rules import Catalogue, Rule
from harness.table.model import CellKey, Result, Table

#: provenance of what the seed or libvirt's documentation states
STATED_SOURCES = frozenset({"seed-design", "libvirt-docs"})


def stated(rule: Rule) -> bool:
    return any(s.source in STATED_SOURCES for s in rule.sources)


def claims(rule: Rule, item_id: str, case_rules: Iterable[str] = ()) -> bool:
    """Whether ``rule`` claims the case or cell ``item_id`` (its patterns, or the case's own
    ``rules``)."""
    if rule.id in case_rules:
        return True
    return any(fnmatch.fnmatchcase(item_id, p) for p in rule.cases)


def rules_of(catalogue: Catalogue, item_id: str, case_rules: Iterable[str] = ()) -> list[Rule]:
    """Every rule of the catalogue that claims ``item_id``, in catalogue order."""
    own = tuple(case_rules)
    return [r for r in catalogue.rules if claims(r, item_id, own)]


def cell_breaks(
    catalogue: Catalogue, tables: Mapping[str, Table], profile: str
) -> dict[CellKey, tuple[str, ...]]:
    """The stated rules each defined cell of ``profile``'s table breaks (cells that break
    none are left out)."""
    cells = {p: t.defined_cells() for p, t in tables.items()}
    out: dict[CellKey, tuple[str, ...]] = {}
    for key, result in cells[profile].items():
        broken = [
            r.id
            for r in catalogue.rules
            if stated(r) and _cell_breaks(r, key, result, profile, cells)
        ]
        if broken:
            out[key] = tuple(broken)
    return out


def _cell_breaks(
    rule: Rule,
    key: CellKey,
    result: Result,
    profile: str,
    cells: Mapping[str, Mapping[CellKey, Result]],
) -> bool:
    if profile in rule.profiles or not claims(rule, key.id):
        return False
    refs = [cells[p][key] for p in rule.profiles if p in cells and key in cells[p]]
    return bool(refs) and all(result.difference(ref) is not None for ref in refs)


def row_breaks(table: Table, broken: Mapping[CellKey, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Per row of ``table`` (in order), the union of its cells' broken rules, in the order
    first seen."""
    out: list[tuple[str, ...]] = []
    claimed = table.cells()
    for row in table.rows:
        ids: list[str] = []
        for key in row.cells():
            if claimed.get(key, (None,))[0] is row:
                ids.extend(r for r in broken.get(key, ()) if r not in ids)
        out.append(tuple(ids))
    return out


@dataclass(frozen=True)
class CaseBreak:
    case: str
    profile: str
    rules: tuple[str, ...]


def expectation_differs(case: Case, mine: Expectation, theirs: Expectation) -> bool:
    """Whether two expectations of ``case`` give different answers: outcome, rejection
    kind, or the expected document in the case's own comparison."""
    if mine is theirs:
        return False
    if mine.outcome != theirs.outcome:
        return True
    if mine.outcome == "rejected":
        return mine.kind != theirs.kind
    if mine.output == theirs.output or mine.output is None or theirs.output is None:
        return False
    return _canonical(case, mine.output) != _canonical(case, theirs.output)


def _canonical(case: Case, name: str) -> str:
    try:
        return canonicalize(case.read(name), mode=case.compare_mode, masks=case.masks)
    except Exception:  # an unreadable expectation is a lint problem elsewhere; compare text
        return case.read(name)


def case_breaks(catalogue: Catalogue, corpus: Corpus, case: Case, profile: str) -> tuple[str, ...]:
    """The stated rules the expectation of ``profile`` for ``case`` breaks."""
    mine = case.expectation_for(profile)
    if mine is None:
        return ()
    out: list[str] = []
    for rule in catalogue.rules:
        if not stated(rule) or profile in rule.profiles or not claims(rule, case.id, case.rules):
            continue
        refs = [e for p in rule.profiles if (e := case.expectation_for(p)) is not None]
        if refs and all(expectation_differs(case, mine, ref) for ref in refs):
            out.append(rule.id)
    return tuple(out)


def all_case_breaks(catalogue: Catalogue, corpus: Corpus) -> list[CaseBreak]:
    out: list[CaseBreak] = []
    for case in corpus.cases:
        for profile in sorted(case.profiles()):
            if rules := case_breaks(catalogue, corpus, case, profile):
                out.append(CaseBreak(case.id, profile, rules))
    return out


def problems(
    catalogue: Catalogue,
    corpus: Corpus,
    tables: Mapping[str, Table],
    recorded_rows: Mapping[str, list[tuple[str, ...]]],
    recorded_expectations: Mapping[str, list[tuple[str, ...]]],
) -> list[str]:
    """Where a recorded ``breaks`` is not what the data shows: a break left unrecorded, or a
    rule named that the data does not contradict. ``recorded_rows``: profile -> each row's
    recorded ``breaks``; ``recorded_expectations``: case id -> each expectation's."""
    out: list[str] = []
    for profile, table in tables.items():
        derived = row_breaks(table, cell_breaks(catalogue, tables, profile))
        recorded = recorded_rows.get(profile, [()] * len(table.rows))
        for index, (row_want, row_have) in enumerate(zip(derived, recorded, strict=True), 1):
            out.extend(_mismatch(f"tables/{profile}.json: row {index}", row_want, row_have))
    for case in corpus.cases:
        recorded = recorded_expectations.get(case.id, [()] * len(case.expectations))
        for exp, have in zip(case.expectations, recorded, strict=True):
            want: list[str] = []
            for profile in exp.profiles:
                want.extend(
                    r for r in case_breaks(catalogue, corpus, case, profile) if r not in want
                )
            where = f"{case.id}: expectation for {', '.join(exp.profiles)}"
            out.extend(_mismatch(where, tuple(want), have))
    return out


def _mismatch(where: str, want: tuple[str, ...], have: tuple[str, ...]) -> list[str]:
    out = []
    missing = [r for r in want if r not in have]
    extra = [r for r in have if r not in want]
    if missing:
        out.append(f"{where}: breaks {', '.join(missing)} (the data contradicts it) unrecorded")
    if extra:
        out.append(f"{where}: records breaks {', '.join(extra)}, which the data does not show")
    return out


__all__ = [
    "STATED_SOURCES",
    "CaseBreak",
    "CorpusError",
    "all_case_breaks",
    "case_breaks",
    "cell_breaks",
    "claims",
    "problems",
    "row_breaks",
    "rules_of",
    "stated",
]
