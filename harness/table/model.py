"""Tables as data: axes, rows that cover sets of cells, and the cells they expand to."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

AXES = ("state", "memory", "disk", "disk_only", "format")
Value = str | bool


@dataclass(frozen=True, order=True)
class CellKey:
    state: str
    memory: str
    disk: str
    disk_only: bool
    format: str
    flags: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """Stable case id of the cell, e.g. ``table-running-omit-external-off-qcow2``."""
        parts = [
            "table",
            self.state,
            self.memory,
            self.disk,
            "diskonly" if self.disk_only else "full",
            self.format,
            *self.flags,
        ]
        return "-".join(parts)

    def describe(self) -> str:
        flags = " ".join(f"--{f}" for f in (("disk-only",) if self.disk_only else ()) + self.flags)
        return f"{self.state} domain, memory {self.memory}, disk {self.disk}, {self.format}" + (
            f", {flags}" if flags else ""
        )


@dataclass(frozen=True)
class Result:
    outcome: str  # accepted | invalid | unsupported | undefined
    memory: str | None = None
    disk: str | Mapping[str, str] | None = None
    state: str | None = None
    mechanism: str | None = None
    reason: str | None = None
    code: str | None = None
    message: str | None = None
    #: side effects: for a stored result, annotations confirmed by hand; for an unstored
    #: one (``stored`` False), what the request did instead, as measured (and judged)
    effects: tuple[str, ...] = ()
    #: False: accepted and carried out, but no definition kept to read back (--no-metadata)
    stored: bool = True

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        disk = data.get("disk")
        return cls(
            outcome=data["outcome"],
            memory=data.get("memory"),
            disk=dict(disk) if isinstance(disk, Mapping) else disk,
            state=data.get("state"),
            mechanism=data.get("mechanism"),
            reason=data.get("reason"),
            code=data.get("code"),
            message=data.get("message"),
            effects=tuple(data.get("effects", ())),
            stored=bool(data.get("stored", True)),
        )

    @property
    def defined(self) -> bool:
        return self.outcome != "undefined"

    def disk_modes(self) -> frozenset[str] | None:
        """The set of resolved disk modes, or None when the result leaves them to the
        default ('default' in the seed's table) or does not say."""
        if self.disk is None or self.disk == "default":
            return None
        if isinstance(self.disk, Mapping):
            return frozenset(self.disk.values())
        return frozenset({self.disk})

    def difference(self, other: Result) -> str | None:
        """Why two results of one cell disagree (None if they agree): a different
        outcome, or the same acceptance with other memory or disk modes."""
        if self.outcome != other.outcome:
            accepted = "accepted" in (self.outcome, other.outcome)
            return "accepted vs rejected" if accepted else "rejection kind"
        if self.outcome != "accepted":
            return None
        if self.stored != other.stored:
            return "definition stored vs not kept"
        if self.memory and other.memory and self.memory != other.memory:
            return "memory mode"
        mine, theirs = self.disk_modes(), other.disk_modes()
        if mine is not None and theirs is not None and mine != theirs:
            return "disk modes"
        return None


@dataclass(frozen=True)
class Row:
    values: Mapping[str, tuple[Value, ...]]
    result: Result
    flags: tuple[str, ...] = ()
    marker: str = ""
    provenance: tuple[Mapping[str, str], ...] = ()
    note: str | None = None
    index: int = 0
    #: stated rules (corpus/rules.json) this row's cells contradict, as recorded
    breaks: tuple[str, ...] = ()

    def cells(self) -> Iterator[CellKey]:
        for combo in itertools.product(*(self.values[a] for a in AXES)):
            state, memory, disk, disk_only, fmt = combo
            yield CellKey(str(state), str(memory), str(disk), bool(disk_only), str(fmt), self.flags)


@dataclass(frozen=True)
class Product:
    """One block of cells: the product of its axis values and flag sets."""

    name: str
    values: Mapping[str, tuple[Value, ...]]
    flag_sets: tuple[tuple[str, ...], ...]

    def cells(self) -> Iterator[CellKey]:
        for flags in self.flag_sets:
            for combo in itertools.product(*(self.values[a] for a in AXES)):
                state, memory, disk, disk_only, fmt = combo
                yield CellKey(str(state), str(memory), str(disk), bool(disk_only), str(fmt), flags)


@dataclass(frozen=True)
class Axes:
    """The cells every table covers: the union of the products. ``values`` is each axis's
    union of values, in first-seen order (the order tables are printed in)."""

    products: tuple[Product, ...]

    @property
    def values(self) -> Mapping[str, tuple[Value, ...]]:
        out: dict[str, list[Value]] = {a: [] for a in AXES}
        for product in self.products:
            for axis in AXES:
                out[axis].extend(v for v in product.values[axis] if v not in out[axis])
        return {a: tuple(v) for a, v in out.items()}

    @property
    def flags(self) -> tuple[str, ...]:
        names: list[str] = []
        for product in self.products:
            for flag_set in product.flag_sets:
                names.extend(f for f in flag_set if f not in names)
        return tuple(names)

    def product(self) -> Iterator[CellKey]:
        seen: set[CellKey] = set()
        for block in self.products:
            for key in block.cells():
                if key not in seen:
                    seen.add(key)
                    yield key


@dataclass(frozen=True)
class Table:
    profile: str
    description: str
    rows: tuple[Row, ...]
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def cells(self) -> dict[CellKey, tuple[Row, Result]]:
        """Every cell the rows cover (the first row wins; `problems` reports overlaps)."""
        out: dict[CellKey, tuple[Row, Result]] = {}
        for row in self.rows:
            for key in row.cells():
                out.setdefault(key, (row, row.result))
        return out

    def defined_cells(self) -> dict[CellKey, Result]:
        return {k: r for k, (_, r) in self.cells().items() if r.defined}

    def undefined_count(self, axes: Axes) -> int:
        """How many cells of the axes this table leaves undefined (explicitly or not)."""
        defined = self.defined_cells()
        return sum(1 for k in axes.product() if k not in defined)

    def problems(self, axes: Axes) -> list[str]:
        """Cells defined twice, values off the axes, cells of the product left out."""
        out: list[str] = []
        seen: dict[CellKey, int] = {}
        for row in self.rows:
            for axis in AXES:
                bad = [v for v in row.values[axis] if v not in axes.values[axis]]
                if bad:
                    out.append(f"row {row.index}: {axis} values {bad} are not on the axis")
            unknown_flags = [f for f in row.flags if f not in axes.flags]
            if unknown_flags:
                out.append(f"row {row.index}: unknown flags {unknown_flags}")
            for key in row.cells():
                if key in seen:
                    out.append(f"row {row.index}: cell {key.id} already defined by row {seen[key]}")
                else:
                    seen[key] = row.index
        on_axes = set(axes.product())
        for row in self.rows:
            # a row, defined or not, may only speak of cells of the axes
            stray = sorted({k.id for k in row.cells() if k not in on_axes})
            if stray:
                shown = ", ".join(stray[:3]) + (" ..." if len(stray) > 3 else "")
                out.append(
                    f"row {row.index}: {len(stray)} of its cells are in no product of the "
                    f"axes (narrow its values): {shown}"
                )
        missing = [k.id for k in axes.product() if k not in seen]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            out.append(
                f"{len(missing)} cells of the axes are neither defined nor undefined: {shown}"
            )
        return out


def expand(values: object, axis: str, axes: Axes) -> tuple[Value, ...]:
    if values == "any":
        return axes.values[axis]
    assert isinstance(values, Sequence)
    return tuple(values)
