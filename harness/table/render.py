"""Print a table in the seed's own layout: domain, memory, disk, disk-only | result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.table.model import AXES, Axes, CellKey, Result, Row, Table, Value

RESULT_LABELS = {"internal": "int", "external": "ext"}
#: the seed's own words for its markers
MARKERS = {
    "*": "new code in 1.0.1",
    "+": "existing code reached through new combinations of XML and/or the DISK_ONLY flag",
}
HEADERS = {"state": "domain", "memory": "memory", "disk": "disk", "disk_only": "disk-only"}


def _defined_values(table: Table) -> dict[str, set[Value]]:
    out: dict[str, set[Value]] = {a: set() for a in AXES}
    for row in table.rows:
        if row.result.defined:
            for a in AXES:
                out[a].update(row.values[a])
    return out


def value_label(table: Table, axis: str, values: Sequence[Value], defined: set[Value]) -> str:
    if len(values) > 1 and set(values) == defined:
        return "any"
    if axis == "disk_only":
        return "/".join("on" if v else "off" for v in values)
    labels = table.labels.get(axis, {})
    out: list[str] = []
    for v in values:
        label = labels.get(str(v), str(v))
        if label not in out:
            out.append(label)
    return "/".join(out)


def _modes(disk: str | Mapping[str, str] | None) -> str:
    if isinstance(disk, Mapping) and len(disk) == 1:
        disk = next(iter(disk.values()))
    if isinstance(disk, Mapping):
        return ",".join(f"{k}:{RESULT_LABELS.get(v, v)}" for k, v in disk.items())
    return RESULT_LABELS.get(disk or "?", disk or "?")


def result_text(result: Result) -> str:
    if result.outcome == "accepted" and not result.stored:
        return "accepted, no definition kept: " + "; ".join(result.effects or ("no effect seen",))
    if result.outcome == "accepted":
        text = f"memory={_modes(result.memory)} disk={_modes(result.disk)}"
        if result.mechanism:
            text += f", via {result.mechanism}"
        if result.state:
            text += f" (state {result.state})"
        if result.effects:
            text += "; " + "; ".join(result.effects)
        return text
    why = result.reason or result.message
    if result.outcome == "invalid":
        return "invalid combination" + (f" ({why})" if why else "")
    if result.outcome == "unsupported":
        if result.reason:
            return f"unsupported {result.reason}"
        return "unsupported" + (f" ({why})" if why else "")
    return "undefined" + (f" ({why})" if why else "")


def render(
    table: Table,
    statuses: Mapping[CellKey, str] | None = None,
    axes: Axes | None = None,
    marks: Mapping[int, Sequence[str]] | None = None,
) -> str:
    """The defined rows of ``table``; with ``statuses`` (case status per cell) each row ends
    with the run's verdict on its cells; with ``axes``, how many of their cells are undefined;
    with ``marks`` (row index -> rule ids), a row ends with the stated rules it breaks."""
    defined = _defined_values(table)
    columns = ["state", "memory", "disk", "disk_only"]
    if len(defined["format"]) > 1:
        columns.append("format")
    rows: list[tuple[list[str], str, str]] = []
    for row in table.rows:
        if not row.result.defined:
            continue
        cells = [value_label(table, a, row.values[a], defined[a]) for a in columns]
        if row.flags:
            cells[-1] += " " + " ".join(f"--{f}" for f in row.flags)
        result = (row.marker or " ") + result_text(row.result)
        broken = (marks or {}).get(row.index, ())
        if broken:
            result += "  !breaks " + ", ".join(broken)
        rows.append((cells, result, _verdict(row, statuses)))
    header = [HEADERS.get(c, c) for c in columns]
    widths = [max(len(h), *(len(r[0][i]) for r in rows)) for i, h in enumerate(header)]
    lines = [" ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " | result"]
    lines.append("-" * (len(lines[0]) + 20))
    for cells, result, verdict in rows:
        left = " ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        lines.append(f"{left} |{result}{verdict}".rstrip())
    markers = {row.marker for row in table.rows if row.marker and row.result.defined}
    for marker in sorted(markers):
        lines.append(f"{marker} {MARKERS[marker]}")
    if axes is not None and (undefined := table.undefined_count(axes)):
        lines.append(f"({undefined} cells of the axes are undefined for {table.profile})")
    return "\n".join(lines)


def _verdict(row: Row, statuses: Mapping[CellKey, str] | None) -> str:
    if statuses is None:
        return ""
    found = [statuses[k] for k in row.cells() if k in statuses]
    if not found:
        return "   [not run]"
    passed = found.count("pass")
    if passed == len(found):
        return f"   [pass {passed}/{len(found)}]"
    return f"   [FAIL {len(found) - passed}/{len(found)}]"


def diff_profiles(a: Table, b: Table) -> list[tuple[CellKey, Result, Result, str]]:
    """Cells both tables define on which they disagree, with what the disagreement is."""
    cells_a, cells_b = a.defined_cells(), b.defined_cells()
    out = []
    for key in sorted(cells_a.keys() & cells_b.keys()):
        why = cells_a[key].difference(cells_b[key])
        if why is not None:
            out.append((key, cells_a[key], cells_b[key], why))
    return out
