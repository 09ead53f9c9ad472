"""The rules behind table cells: marks for the table printout, rule names for diff-profiles,
and the behaviour history (README) generated from the profiles' data.

A differing cell is classified twice, like the README's plan-vs-9.0 section: by *kind*
(:meth:`Result.difference`: accepted vs rejected, rejection kind, memory or disk modes, ...)
and by the *rules* that claim it (corpus/rules.json), stated rules a profile breaks first.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness import breaks
from harness.rules import Catalogue, Rule
from harness.table.model import CellKey, Result, Table
from harness.table.render import diff_profiles, result_text


@dataclass(frozen=True)
class CellDiff:
    key: CellKey
    a: Result
    b: Result
    kind: str
    #: every rule that claims the cell and holds for one of the two profiles
    rules: tuple[str, ...]
    #: the stated rules each side breaks on this cell
    broken_a: tuple[str, ...]
    broken_b: tuple[str, ...]

    def group(self) -> tuple[str, ...]:
        """The rules the change is filed under: the stated rules broken on either side,
        else every rule involved (empty: no rule of the catalogue names the cell)."""
        broken = tuple(dict.fromkeys(self.broken_a + self.broken_b))
        return broken or self.rules


def rule_diffs(catalogue: Catalogue, tables: Mapping[str, Table], a: str, b: str) -> list[CellDiff]:
    """The cells both profiles define and disagree on, with the rules involved."""
    broken_a = breaks.cell_breaks(catalogue, tables, a)
    broken_b = breaks.cell_breaks(catalogue, tables, b)
    out = []
    for key, ra, rb, kind in diff_profiles(tables[a], tables[b]):
        involved = tuple(
            r.id
            for r in breaks.rules_of(catalogue, key.id)
            if a in r.profiles or b in r.profiles or r.id in broken_a.get(key, ())
        )
        out.append(
            CellDiff(key, ra, rb, kind, involved, broken_a.get(key, ()), broken_b.get(key, ()))
        )
    return out


def rule_label(catalogue: Catalogue, rule_id: str) -> str:
    rule = catalogue.rule(rule_id)
    return f"{rule_id} ({_origin(rule)}): {rule.statement}"


def _origin(rule: Rule) -> str:
    sources = {s.source for s in rule.sources}
    if "seed-design" in sources:
        return "stated by the seed"
    if "libvirt-docs" in sources:
        return "stated by libvirt's documentation"
    return "holds for " + ", ".join(rule.profiles)


def kinds(diffs: Sequence[CellDiff]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in diffs:
        out[d.kind] = out.get(d.kind, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def groups(diffs: Sequence[CellDiff]) -> list[tuple[tuple[str, ...], list[CellDiff]]]:
    """The diffs filed under their rule groups (cells of one group also agree on which side
    breaks each of its rules), the largest group first (then by the first cell), cells
    without a rule last."""
    by: dict[tuple[tuple[str, bool, bool], ...], list[CellDiff]] = {}
    for d in diffs:
        key = tuple((r, r in d.broken_a, r in d.broken_b) for r in d.group())
        by.setdefault(key, []).append(d)
    ordered = sorted(by.items(), key=lambda kv: (not kv[0], -len(kv[1]), kv[1][0].key))
    return [(tuple(r for r, _, _ in key), members) for key, members in ordered]


def counts_text(diffs: Sequence[CellDiff]) -> str:
    return ", ".join(f"{n} {k}" for k, n in kinds(diffs).items())


def diff_text(catalogue: Catalogue, tables: Mapping[str, Table], a: str, b: str) -> str:
    """``snapconform diff-profiles A B``: each differing cell with its kind and rules, then
    the count by kind and the cells filed by rule."""
    diffs = rule_diffs(catalogue, tables, a, b)
    lines: list[str] = []
    for d in diffs:
        lines.append(f"{d.key.describe()}  [{d.kind}]")
        lines.append(f"  {a}: {result_text(d.a)}")
        lines.append(f"  {b}: {result_text(d.b)}")
        for side, broken in ((a, d.broken_a), (b, d.broken_b)):
            for rule_id in broken:
                lines.append(f"  {side} breaks {rule_id}")
        rest = [r for r in d.rules if r not in d.broken_a + d.broken_b]
        if rest:
            lines.append(f"  rules: {', '.join(rest)}")
        if not d.rules and not d.broken_a and not d.broken_b:
            lines.append("  rules: none of the catalogue names this cell")
    both = len(tables[a].defined_cells().keys() & tables[b].defined_cells().keys())
    detail = counts_text(diffs)
    lines.append(
        f"{len(diffs)} of {both} cells defined by both profiles differ"
        + (f": {detail}" if detail else "")
    )
    if diffs:
        lines.append("by rule:")
        for ids, members in groups(diffs):
            head = ", ".join(ids) if ids else "(no rule of the catalogue names these cells)"
            lines.append(f"  {head}: {len(members)} cell(s) ({counts_text(members)})")
            for rule_id in ids:
                lines.append(f"    {rule_label(catalogue, rule_id)}")
    return "\n".join(lines)


def row_marks(
    catalogue: Catalogue, tables: Mapping[str, Table], profile: str
) -> dict[int, tuple[str, ...]]:
    """Row index -> the stated rules the row's cells break (rows that break none left out)."""
    table = tables[profile]
    per_row = breaks.row_breaks(table, breaks.cell_breaks(catalogue, tables, profile))
    return {row.index: ids for row, ids in zip(table.rows, per_row, strict=True) if ids}


def relation(rule_id: str, members: Sequence[CellDiff], a: str, b: str) -> str:
    """How the step from ``a`` to ``b`` stands to a rule its cells are filed under."""
    in_a = any(rule_id in d.broken_a for d in members)
    in_b = any(rule_id in d.broken_b for d in members)
    if in_a and in_b:
        return f"{a} and {b} both break it, differently"
    if in_a:
        return f"{a} breaks it, {b} keeps it"
    if in_b:
        return f"{b} breaks it"
    return "involved"


def _step_summary(
    catalogue: Catalogue, tables: Mapping[str, Table], chain: Sequence[str]
) -> list[str]:
    steps = [(a, b, rule_diffs(catalogue, tables, a, b)) for a, b in itertools.pairwise(chain)]
    names = list(dict.fromkeys(k for _, _, diffs in steps for k in kinds(diffs)))
    lines = [
        "| step | cells both define | differ | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for a, b, diffs in steps:
        both = len(tables[a].defined_cells().keys() & tables[b].defined_cells().keys())
        per = kinds(diffs)
        cells = " | ".join(str(per.get(n, 0)) for n in names)
        lines.append(f"| {a} → {b} | {both} | {len(diffs)} | {cells} |")
    return lines


def history_markdown(
    catalogue: Catalogue, tables: Mapping[str, Table], chain: Sequence[str], examples: int = 2
) -> str:
    """The README's behaviour history: a count table of the steps of ``chain`` (oldest
    first), then per step the changes filed by rule, each with example cells."""
    lines = _step_summary(catalogue, tables, chain)
    for a, b in itertools.pairwise(chain):
        diffs = rule_diffs(catalogue, tables, a, b)
        both = len(tables[a].defined_cells().keys() & tables[b].defined_cells().keys())
        lines += ["", f"**{a} → {b}**: {len(diffs)} of the {both} cells both define differ"]
        lines[-1] += f" ({counts_text(diffs)})." if diffs else "."
        for ids, members in groups(diffs):
            lines.append("")
            if ids:
                heads = "; ".join(
                    f"`{r}` ({_origin(catalogue.rule(r))}; {relation(r, members, a, b)}): "
                    f"{catalogue.rule(r).statement}"
                    for r in ids
                )
            else:
                heads = "no rule of the catalogue names these cells"
            lines.append(f"- {heads}: **{len(members)} cell(s)** ({counts_text(members)}).")
            for d in members[:examples]:
                lines.append(f"  E.g. {d.key.describe()}: {result_text(d.a)} → {result_text(d.b)}.")
            if len(members) > examples:
                lines.append(
                    f"  ({len(members) - examples} more: `snapconform diff-profiles {a} {b}`.)"
                )
    return "\n".join(lines).rstrip() + "\n"
