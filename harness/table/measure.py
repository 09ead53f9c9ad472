"""Measure a profile's table on a trusted implementation (a real libvirt), for review.

Like libvirt's VIR_TEST_REGENERATE_OUTPUT: every cell of the axes' product is run through
the implementation and the observed result is written as a table file, one row per cell
(both formats in one row where they agree). A human reviews the diff before it lands; the
provenance names the command and the implementation's identity.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.contract import SCRATCH_TOKEN, Adapter
from harness.table.cells import observe, request_for
from harness.table.loader import load_axes, load_table, table_files
from harness.table.model import AXES, Axes, CellKey, Result, Table


def measure_cells(
    adapter: Adapter, cells: Iterable[CellKey], progress: Callable[[CellKey], None] | None = None
) -> dict[CellKey, Result]:
    out: dict[CellKey, Result] = {}
    for cell in cells:
        if progress is not None:
            progress(cell)
        outcome = adapter.run(request_for(cell, {SCRATCH_TOKEN: adapter.scratch}))
        result = observe(outcome)  # an errored outcome raises: a measurement must be clean
        if result.message:
            result = replace(result, message=result.message.replace(adapter.scratch, SCRATCH_TOKEN))
        if not result.stored:
            effects = (e.replace(adapter.scratch, SCRATCH_TOKEN) for e in result.effects)
            result = replace(result, effects=tuple(sorted(effects)))
        out[cell] = result
    return out


def _result_json(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = {"outcome": result.outcome}
    for key in ("memory", "disk", "state", "code", "message"):
        value = getattr(result, key)
        if value is not None:
            data[key] = dict(value) if isinstance(value, dict) else value
    if not result.stored:
        data["stored"] = False
        data["effects"] = list(result.effects)
    return data


def axes_order(axes: Axes) -> Callable[[CellKey], tuple[Any, ...]]:
    """Sort key putting cells in the axes' own order (shutoff before running, ...)."""

    def key(cell: CellKey) -> tuple[Any, ...]:
        return (
            *(axes.values[a].index(getattr(cell, a)) for a in AXES),
            cell.flags,
        )

    return key


def table_document(
    profile: str,
    description: str,
    measured: dict[CellKey, Result],
    source: str,
    detail: str,
    axes: Axes,
    previous: Table | None = None,
) -> dict[str, Any]:
    """A table file: one row per cell, merged across formats where the results agree.

    Where ``previous`` (the table as it was) gave a cell the same result, its hand-confirmed
    annotations (``effects`` and their provenance) are carried over, so a re-measurement does
    not silently drop what a person checked."""
    before = previous.cells() if previous is not None else {}
    stamp = datetime.now(UTC).date().isoformat()
    formats = tuple(str(f) for f in axes.values["format"])
    groups: dict[tuple[Any, ...], list[tuple[str, Result]]] = {}
    for cell in sorted(measured, key=axes_order(axes)):
        result = measured[cell]
        key = (cell.state, cell.memory, cell.disk, cell.disk_only, cell.flags)
        groups.setdefault(key, []).append((cell.format, result))
    rows = []
    for (state, memory, disk, disk_only, flags), found in groups.items():
        parts: list[tuple[list[str], Result]]
        if len({json.dumps(_result_json(r), sort_keys=True) for _, r in found}) == 1 and len(
            found
        ) == len(formats):
            parts = [(list(formats), found[0][1])]
        else:
            parts = [([fmt], r) for fmt, r in found]
        for fmts, result in parts:
            row: dict[str, Any] = {
                "state": [state],
                "memory": [memory],
                "disk": [disk],
                "disk_only": [disk_only],
                "format": fmts,
                "result": _result_json(result),
                "provenance": [{"source": source, "detail": f"{detail}, {stamp}"}],
            }
            if flags:
                row["flags"] = list(flags)
            cell = CellKey(state, memory, disk, disk_only, fmts[0], flags)
            if cell in before:
                old_row, old = before[cell]
                if old.effects and replace(old, effects=()) == result:
                    row["result"]["effects"] = list(old.effects)
                    row["provenance"] += [
                        dict(p)
                        for p in old_row.provenance
                        if p.get("source") == source
                        and not p.get("detail", "").startswith("measured by")
                    ]
            rows.append(row)
    return {"profile": profile, "description": description, "rows": rows}


def dump_table(document: dict[str, Any]) -> str:
    """JSON with one row per line, so a review diff shows one changed cell per line."""
    head = {k: v for k, v in document.items() if k != "rows"}
    lines = [json.dumps(head, indent=2)[:-2] + ',\n  "rows": [']
    rows = [f"    {json.dumps(r, ensure_ascii=False)}" for r in document["rows"]]
    return "\n".join(lines) + "\n" + ",\n".join(rows) + "\n  ]\n}\n"


def existing_rows(
    root: Path, profile: str
) -> tuple[str | None, list[dict[str, Any]], set[CellKey]]:
    """The description, rows and covered cells of the profile's current table, if any."""
    path = table_files(root).get(profile)
    if path is None:
        return None, [], set()
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["description"], list(data["rows"]), set(load_table(root, profile).cells())


def _rows_without(
    rows: list[dict[str, Any]], cells: set[CellKey], axes: Axes
) -> list[dict[str, Any]]:
    """``rows`` less those whose cells are all in ``cells``; a row only partly in it cannot
    be kept or dropped honestly, so it is an error."""
    kept = []
    for index, row in enumerate(rows):
        mine = set(row_cells(row, axes))
        if not mine & cells:
            kept.append(row)
        elif not mine <= cells:
            raise ValueError(f"row {index} covers cells inside and outside the selection")
    return kept


def row_cells(row: dict[str, Any], axes: Axes) -> list[CellKey]:
    """The cells a table file's row covers."""
    values = {a: row[a] if isinstance(row[a], list) else list(axes.values[a]) for a in AXES}
    flags = tuple(row.get("flags", ()))
    return [
        CellKey(str(st), str(m), str(d), bool(do), str(f), flags)
        for st in values["state"]
        for m in values["memory"]
        for d in values["disk"]
        for do in values["disk_only"]
        for f in values["format"]
    ]


def measure_table(
    adapter: Adapter,
    root: Path,
    profile: str,
    source: str,
    connectable: str,
    *,
    missing_only: bool = False,
    only: str | None = None,
    progress: Callable[[CellKey], None] | None = None,
) -> tuple[str, int]:
    """Measure the cells of the axes (only those the table lacks, with ``missing_only``;
    only those whose id matches the glob ``only``) and return the new table file's text and
    the number of cells measured. The rows of cells not measured are kept as they are."""
    axes = load_axes(root)
    description, rows, covered = existing_rows(root, profile)
    cells = [k for k in axes.product() if not (missing_only and k in covered)]
    if only is not None:
        cells = [k for k in cells if fnmatch.fnmatchcase(k.id, only)]
        if not cells:
            raise ValueError(f"no cell of the axes matches {only!r}")
        rows = _rows_without(rows, set(cells), axes)
        missing_only = True  # merge: keep the other rows
    identity = adapter.identify()
    measured = measure_cells(adapter, cells, progress)
    versions = ", ".join(f"{k} {v}" for k, v in sorted(identity.details.items()))
    detail = f"measured by `snapconform table --measure {connectable}` ({versions})"
    previous = load_table(root, profile, axes) if description is not None else None
    document = table_document(
        profile, description or f"{profile}, measured", measured, source, detail, axes, previous
    )
    if missing_only:
        order = axes_order(axes)

        def first_cell(row: dict[str, Any]) -> tuple[Any, ...]:
            first = [row[a][0] if isinstance(row[a], list) else axes.values[a][0] for a in AXES]
            key = CellKey(
                str(first[0]),
                str(first[1]),
                str(first[2]),
                bool(first[3]),
                str(first[4]),
                tuple(row.get("flags", ())),
            )
            return (bool(key.flags), *order(key))

        document["rows"] = sorted(rows + document["rows"], key=first_cell)
    return dump_table(document), len(measured)
