"""What a report shows, computed from any number of results documents.

A report has one *column* per results file (an implementation under a profile), the
combination table's cells grouped into the seed's rows (domain state, memory, disk, disk-only),
and the corpus cases grouped by level, class and rule. Every (row, column) pair gets a
*display status*: the run's status refined by the known-failures file it ran with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.corpus.model import Case, Corpus
from harness.table.loader import load_axes
from harness.table.model import CellKey
from harness.xmlsafe import XmlError, parse_xml

#: Display statuses, from worst to best; a row that holds several cells shows the worst.
DISPLAY_STATUSES: tuple[str, ...] = (
    "error",
    "fail",
    "unexpected-pass",
    "known-failure",
    "pass",
    "not-applicable",
    "not-run",
)

LABELS: Mapping[str, str] = {
    "error": "error",
    "fail": "fail",
    "unexpected-pass": "unexpected pass",
    "known-failure": "known failure",
    "pass": "pass",
    "not-applicable": "not applicable",
    "not-run": "not run",
}

#: Longest XML document shown in full inside a report (per side).
MAX_SHOWN_XML = 20_000


def display_status(record: Mapping[str, Any]) -> str:
    """``pass``/``fail``/``error``/``not-applicable``, or ``known-failure`` (failed as listed
    in the run's known-failures file) or ``unexpected-pass`` (listed, but passed)."""
    status = str(record["status"])
    if status == "pass" and record.get("unexpected_pass"):
        return "unexpected-pass"
    if status in ("fail", "error") and record.get("known"):
        return "known-failure"
    return status


def worst(statuses: Iterable[str]) -> str:
    found = set(statuses)
    for status in DISPLAY_STATUSES:
        if status in found:
            return status
    return "not-run"


@dataclass
class Column:
    """One results file: an implementation judged under a profile."""

    index: int
    source: str
    name: str
    version: str
    connectable: str
    profile: str
    classes: str
    started: str
    run_id: str
    complete: bool
    details: Mapping[str, str]
    counts: dict[str, int]
    records: dict[str, dict[str, Any]]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def bar(self) -> list[tuple[str, int, float]]:
        """(status, count, percent) of the statuses this column has, worst first."""
        total = self.total or 1
        return [
            (s, self.counts[s], 100.0 * self.counts[s] / total)
            for s in DISPLAY_STATUSES
            if self.counts.get(s)
        ]


@dataclass
class Entry:
    """One case (or table cell) as one column saw it."""

    case_id: str
    label: str
    status: str
    record: dict[str, Any] | None

    @property
    def rank(self) -> int:
        """Position of the status from worst (0) to best: details list the worst first."""
        return DISPLAY_STATUSES.index(self.status)

    @property
    def expected_text(self) -> str:
        return outcome_text(self.record.get("expected") if self.record else None)

    def modes(self, side: str) -> str:
        """The memory and disk modes of one side's document, when it holds one."""
        text = self.xml(side)
        if text is None:
            return ""
        try:
            root = parse_xml(text)
        except XmlError:
            return ""
        memory = root.find("memory")
        parts = [f"memory={memory.get('snapshot')}"] if memory is not None else []
        disks = [f"{d.get('name')}:{d.get('snapshot')}" for d in root.iterfind("disks/disk")]
        if disks:
            parts.append("disks=" + ",".join(disks))
        return " ".join(parts)

    @property
    def actual_text(self) -> str:
        return outcome_text(self.record.get("actual") if self.record else None)

    def xml(self, side: str) -> str | None:
        wire = self.record.get(side) if self.record else None
        text = wire.get("xml") if isinstance(wire, Mapping) else None
        if not isinstance(text, str):
            return None
        if len(text) > MAX_SHOWN_XML:
            return text[:MAX_SHOWN_XML] + f"\n... ({len(text) - MAX_SHOWN_XML} more characters)"
        return text


@dataclass
class Row:
    """A line of the report: one case, or one row of the seed's table (several cells)."""

    key: str
    cells: list[str]
    description: str
    level: str
    classes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: per column: the entries of this row's cases
    entries: list[list[Entry]] = field(default_factory=list)

    def status(self, column: int) -> str:
        return worst(e.status for e in self.entries[column]) if self.entries[column] else "not-run"

    def statuses(self) -> list[str]:
        return [self.status(i) for i in range(len(self.entries))]


@dataclass
class Group:
    title: str
    rows: list[Row]


@dataclass
class Report:
    title: str
    columns: list[Column]
    table_rows: list[Row]
    groups: list[Group]
    levels: list[str]
    classes: list[str]
    tags: list[str]
    generated: str


def outcome_text(wire: object) -> str:
    """A one-line account of an expected or actual outcome (wire form)."""
    if not isinstance(wire, Mapping):
        return "(none)"
    outcome = str(wire.get("outcome", "?"))
    parts = [outcome]
    if outcome == "rejected":
        parts.append(str(wire.get("kind", "?")))
        if wire.get("code"):
            parts.append(str(wire["code"]))
    modes = []
    if wire.get("memory"):
        modes.append(f"memory={wire['memory']}")
    disk = wire.get("disk")
    if isinstance(disk, Mapping):
        modes.append("disks=" + ",".join(f"{k}:{v}" for k, v in disk.items()))
    elif disk:
        modes.append(f"disk={disk}")
    if wire.get("state"):
        modes.append(f"state={wire['state']}")
    if modes:
        parts.append("(" + " ".join(modes) + ")")
    text = " ".join(parts)
    if wire.get("message"):
        text += f": {wire['message']}"
    return text


def _column(index: int, source: str, document: Mapping[str, Any]) -> Column:
    header = document["header"]
    impl = header["implementation"]
    details = {str(k): str(v) for k, v in (impl.get("details") or {}).items()}
    classes = impl.get("classes") or impl.get("class") or header.get("classes") or []
    if isinstance(classes, str):
        classes = [classes]
    records = {str(r["id"]): dict(r) for r in document["results"]}
    counts = dict.fromkeys(DISPLAY_STATUSES, 0)
    for record in records.values():
        counts[display_status(record)] += 1
    counts.pop("not-run")
    return Column(
        index=index,
        source=source,
        name=str(impl.get("name") or impl.get("connectable")),
        version=str(impl.get("version") or ""),
        connectable=str(impl.get("connectable")),
        profile=str(header["profile"]),
        classes=", ".join(str(c) for c in classes) or "(none declared)",
        started=str(header["started"]),
        run_id=str(header["run_id"]),
        complete=bool(document["footer"]["complete"]),
        details=details,
        counts=counts,
        records=records,
    )


def _record_classes(case_ids: Iterable[str], columns: Sequence[Column]) -> tuple[str, ...]:
    """The conformance classes the cases were judged in, in any column."""
    found: set[str] = set()
    for column in columns:
        for case_id in case_ids:
            found.update((column.records.get(case_id) or {}).get("classes") or {})
    return tuple(sorted(found))


def _case_classes(case: Case | None) -> tuple[str, ...]:
    if case is None:
        return ()
    found = getattr(case, "classes", None) or getattr(case, "conformance_classes", None) or ()
    if isinstance(found, str):
        return (found,)
    return tuple(str(c) for c in found)


def _case_rule(case: Case | None) -> str | None:
    rule = getattr(case, "rule", None) if case is not None else None
    if rule:
        return str(rule)
    rules = getattr(case, "rules", None) if case is not None else None
    return ", ".join(str(r) for r in rules) if rules else None


def _entries(row_ids: Sequence[tuple[str, str]], columns: Sequence[Column]) -> list[list[Entry]]:
    out = []
    for column in columns:
        entries = []
        for case_id, label in row_ids:
            record = column.records.get(case_id)
            status = display_status(record) if record else "not-run"
            entries.append(Entry(case_id, label, status, record))
        out.append(entries)
    return out


def _cell_keys(corpus: Corpus | None) -> dict[str, CellKey]:
    if corpus is None or not (corpus.root / "tables" / "axes.json").exists():
        return {}
    return {key.id: key for key in load_axes(corpus.root).product()}


def _parse_cell_id(case_id: str) -> CellKey | None:
    """A cell's key from its id (``table-STATE-MEMORY-DISK-full|diskonly-FORMAT[-FLAGS]``)
    when the corpus does not list it."""
    parts = case_id.split("-")
    if len(parts) < 6 or parts[0] != "table" or parts[4] not in ("full", "diskonly"):
        return None
    flags = ("-".join(parts[6:]),) if len(parts) > 6 else ()
    return CellKey(parts[1], parts[2], parts[3], parts[4] == "diskonly", parts[5], flags)


def _axis_order(corpus: Corpus | None) -> dict[str, dict[str, int]]:
    order: dict[str, dict[str, int]] = {"state": {}, "memory": {}, "disk": {}}
    if corpus is None or not (corpus.root / "tables" / "axes.json").exists():
        return order
    for product in load_axes(corpus.root).products:
        for axis in order:
            for value in product.values[axis]:
                order[axis].setdefault(str(value), len(order[axis]))
    return order


def _table_rows(ids: Iterable[str], corpus: Corpus | None, columns: list[Column]) -> list[Row]:
    known = _cell_keys(corpus)
    order = _axis_order(corpus)
    grouped: dict[tuple[str, str, str, bool], list[CellKey]] = {}
    for case_id in ids:
        key = known.get(case_id) or _parse_cell_id(case_id)
        if key is None:
            continue
        grouped.setdefault((key.state, key.memory, key.disk, key.disk_only), []).append(key)

    def sort_key(item: tuple[tuple[str, str, str, bool], list[CellKey]]) -> tuple[Any, ...]:
        (state, memory, disk, disk_only), _ = item
        return (
            order["state"].get(state, 99),
            state,
            order["memory"].get(memory, 99),
            memory,
            order["disk"].get(disk, 99),
            disk,
            disk_only,
        )

    rows = []
    for (state, memory, disk, disk_only), keys in sorted(grouped.items(), key=sort_key):
        keys.sort()
        labels = [(k.id, " ".join((k.format, *(f"--{f}" for f in k.flags)))) for k in keys]
        rows.append(
            Row(
                key=f"{state}-{memory}-{disk}-{'on' if disk_only else 'off'}",
                cells=[state, memory, disk, "on" if disk_only else "off"],
                description=f"{len(keys)} cell(s): " + ", ".join(label for _, label in labels),
                level="table",
                classes=_record_classes([k.id for k in keys], columns),
                entries=_entries(labels, columns),
            )
        )
    return rows


def _groups(ids: Iterable[str], corpus: Corpus | None, columns: list[Column]) -> list[Group]:
    cases = {c.id: c for c in corpus.cases} if corpus is not None else {}
    grouped: dict[str, list[Row]] = {}
    level_of: dict[str, str] = {}
    for column in columns:
        for case_id, record in column.records.items():
            level_of.setdefault(case_id, str(record.get("level", "?")))
    for case_id in ids:
        case = cases.get(case_id)
        level = str(case.level) if case is not None else level_of.get(case_id, "?")
        classes = _record_classes([case_id], columns) or _case_classes(case)
        rule = _case_rule(case)
        title = level
        if classes:
            title += " · class " + ", ".join(classes)
        if rule:
            title += f" · rule {rule}"
        row = Row(
            key=case_id,
            cells=[case_id],
            description=case.description if case is not None else "",
            level=level,
            classes=classes,
            tags=tuple(case.tags) if case is not None else (),
            entries=_entries([(case_id, case_id)], columns),
        )
        grouped.setdefault(title, []).append(row)
    rank = {"syntax": 0, "semantics": 1, "host": 2}
    return [
        Group(title, rows)
        for title, rows in sorted(
            grouped.items(), key=lambda kv: (rank.get(kv[0].split(" ")[0], 9), kv[0])
        )
    ]


def build_report(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
    corpus: Corpus | None,
    *,
    title: str = "snapconform conformance matrix",
    generated: str = "",
) -> Report:
    """The report of ``documents`` (pairs of a source name and a loaded results.json)."""
    columns = [_column(i, source, doc) for i, (source, doc) in enumerate(documents)]
    all_ids: list[str] = []
    seen: set[str] = set()
    if corpus is not None:
        for case in corpus.cases:
            if any(case.id in c.records for c in columns):
                all_ids.append(case.id)
                seen.add(case.id)
    for column in columns:
        for case_id in column.records:
            if case_id not in seen:
                seen.add(case_id)
                all_ids.append(case_id)
    table_ids = [i for i in all_ids if i.startswith("table-")]
    case_ids = [i for i in all_ids if not i.startswith("table-")]
    table_rows = _table_rows(table_ids, corpus, columns)
    groups = _groups(case_ids, corpus, columns)
    rows = [r for g in groups for r in g.rows]
    return Report(
        title=title,
        columns=columns,
        table_rows=table_rows,
        groups=groups,
        levels=sorted({r.level for r in rows} | ({"table"} if table_rows else set())),
        classes=sorted({c for r in [*rows, *table_rows] for c in r.classes}),
        tags=sorted({t for r in rows for t in r.tags}),
        generated=generated,
    )


def json_text(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def source_name(path: Path) -> str:
    return str(path)
