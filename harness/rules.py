"""The rule catalogue (``corpus/rules.json``): every rule the corpus exercises, as data.

A rule is one stated fact, the profiles it holds for, where it comes from, and the cases
and table cells that exercise it. Cases are claimed by the rule (ids or shell-style
wildcards in ``cases``) or by the case itself (``rules`` in its case.json). A claim counts
for a profile only where the case or cell defines an expectation for that profile.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from harness.corpus.loader import corpus_schema
from harness.corpus.model import Corpus, CorpusError
from harness.corpus.model import Provenance as Source

RULES_FILE = "rules.json"
SCHEMA = "rules.schema.json"

_SHOULD = re.compile(r"\bshould\b", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    id: str
    statement: str
    profiles: tuple[str, ...]
    sources: tuple[Source, ...]
    cases: tuple[str, ...]
    note: str | None = None
    #: False when a real host cannot show the rule (no binding mutant)
    observable: bool = True


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules)


def rules_path(root: Path) -> Path:
    return root / RULES_FILE


def load_catalogue(root: Path) -> Catalogue:
    """The catalogue of the corpus at ``root``; :class:`CorpusError` if missing or invalid."""
    path = rules_path(root)
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError([f"{RULES_FILE}: missing (the rule catalogue, docs/rules.md)"]) from None
    except (OSError, ValueError) as exc:
        raise CorpusError([f"{RULES_FILE}: cannot read: {exc}"]) from None
    validator = jsonschema.Draft202012Validator(corpus_schema(root, SCHEMA))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        where = ["/".join(map(str, e.absolute_path)) or "." for e in errors]
        raise CorpusError(
            [f"{RULES_FILE}: {w}: {e.message}" for w, e in zip(where, errors, strict=True)]
        )
    rules = tuple(
        Rule(
            id=r["id"],
            statement=r["statement"],
            profiles=tuple(r["profiles"]),
            sources=tuple(Source(s["source"], s["detail"]) for s in r["sources"]),
            cases=tuple(r["cases"]),
            note=r.get("note"),
            observable=r.get("observable", True),
        )
        for r in data["rules"]
    )
    return Catalogue(rules)


@dataclass(frozen=True)
class Universe:
    """Every case and cell id of a corpus, with the profiles that define an expectation."""

    profiles_of: Mapping[str, frozenset[str]]
    #: the case.json ``rules`` claims, case id -> rule ids
    claims: Mapping[str, tuple[str, ...]]

    def match(self, pattern: str) -> list[str]:
        if not any(c in pattern for c in "*?["):
            return [pattern] if pattern in self.profiles_of else []
        return [i for i in self.profiles_of if fnmatch.fnmatchcase(i, pattern)]


def universe(corpus: Corpus) -> Universe:
    from harness.table.loader import load_table, table_files

    profiles_of: dict[str, set[str]] = {c.id: set(c.profiles()) for c in corpus.cases}
    for profile in table_files(corpus.root):
        try:
            table = load_table(corpus.root, profile)
        except CorpusError:
            continue  # reported by the table lint
        for key in table.defined_cells():
            profiles_of.setdefault(key.id, set()).add(profile)
    claims = {c.id: c.rules for c in corpus.cases if c.rules}
    return Universe({k: frozenset(v) for k, v in profiles_of.items()}, claims)


def coverage(catalogue: Catalogue, world: Universe) -> dict[str, dict[str, tuple[str, ...]]]:
    """rule id -> case id -> the rule's profiles the case defines an expectation for."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for rule in catalogue.rules:
        wanted = set(rule.profiles)
        ids: set[str] = set()
        for pattern in rule.cases:
            ids.update(world.match(pattern))
        ids.update(case for case, claimed in world.claims.items() if rule.id in claimed)
        out[rule.id] = {
            case: tuple(sorted(world.profiles_of[case] & wanted))
            for case in sorted(ids)
            if world.profiles_of.get(case, frozenset()) & wanted
        }
    return out


def problems(catalogue: Catalogue, corpus: Corpus, world: Universe | None = None) -> list[str]:
    """What ``snapconform check`` says of the catalogue."""
    world = world or universe(corpus)
    out: list[str] = []
    seen: set[str] = set()
    accepted_sources = {s for p in corpus.profiles.values() for s in p.provenance}
    for rule in catalogue.rules:
        where = f"{RULES_FILE}: rule {rule.id}"
        if rule.id in seen:
            out.append(f"{where}: id used twice")
        seen.add(rule.id)
        if _SHOULD.search(rule.statement):
            out.append(f"{where}: statement says 'should'; state the fact instead")
        if rule.statement.endswith(".") or rule.statement != rule.statement.strip():
            out.append(f"{where}: statement ends with a full stop or has surrounding spaces")
        for profile in rule.profiles:
            if profile not in corpus.profiles:
                out.append(f"{where}: unknown profile {profile!r}")
        if not {s.source for s in rule.sources} & accepted_sources:
            out.append(f"{where}: no source that any profile accepts as provenance")
        for pattern in rule.cases:
            found = world.match(pattern)
            if not found:
                out.append(f"{where}: claims {pattern!r}, which matches no case or table cell")
            elif not any(world.profiles_of[c] & set(rule.profiles) for c in found):
                out.append(
                    f"{where}: {pattern!r} matches no case defined for its profiles "
                    f"({', '.join(rule.profiles)})"
                )
    covered = coverage(catalogue, world)
    for rule in catalogue.rules:
        if not covered[rule.id]:
            out.append(f"{RULES_FILE}: rule {rule.id}: no case exercises it")
    ids = catalogue.ids()
    for case, claimed in sorted(world.claims.items()):
        for rule_id in claimed:
            if rule_id not in ids:
                out.append(f"{case}: claims rule {rule_id!r}, which is not in {RULES_FILE}")
    return out


def render(catalogue: Catalogue, world: Universe, rule_ids: Iterable[str] | None = None) -> str:
    """The coverage map as text: rule -> cases -> profiles."""
    covered = coverage(catalogue, world)
    wanted = set(rule_ids) if rule_ids is not None else None
    lines: list[str] = []
    for rule in catalogue.rules:
        if wanted is not None and rule.id not in wanted:
            continue
        cases = covered[rule.id]
        lines.append(f"{rule.id}  ({len(cases)} case(s); {', '.join(rule.profiles)})")
        lines.append(f"  {rule.statement}")
        lines.append("  source: " + "; ".join(f"{s.source}: {s.detail}" for s in rule.sources))
        for case, profiles in cases.items():
            lines.append(f"    {case}  [{', '.join(profiles)}]")
    return "\n".join(lines)
