"""Read the axes and the per-profile tables of a corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from harness import jsonsafe
from harness.corpus.loader import corpus_schema
from harness.corpus.model import CorpusError, read_text
from harness.table.model import AXES, Axes, Product, Result, Row, Table, expand


def load_axes(root: Path) -> Axes:
    """The products of ``tables/axes.json``; :class:`CorpusError` if it is malformed."""
    path = root / "tables" / "axes.json"
    try:
        data = jsonsafe.loads(read_text(path))
        products = tuple(
            Product(
                name=str(p["name"]),
                values={a: tuple(p[a]) for a in AXES},
                flag_sets=tuple(tuple(str(f) for f in fs) for fs in p.get("flags", [[]])),
            )
            for p in data["products"]
        )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CorpusError([f"{path}: malformed axes: {type(exc).__name__}: {exc}"]) from None
    if not products:
        raise CorpusError([f"{path}: no product"])
    return Axes(products=products)


def table_files(root: Path) -> dict[str, Path]:
    folder = root / "tables"
    return {p.stem: p for p in sorted(folder.glob("*.json")) if p.name != "axes.json"}


def missing_table(root: Path, profile: str) -> str:
    known = ", ".join(table_files(root)) or "none"
    return f"no table for profile {profile!r} in {root / 'tables'}; the profiles with one: {known}"


def load_table(root: Path, profile: str, axes: Axes | None = None) -> Table:
    """The table of ``profile``; :class:`CorpusError` if it is missing or off-schema."""
    path = table_files(root).get(profile)
    if path is None:
        raise CorpusError([missing_table(root, profile)])
    try:
        data: Any = jsonsafe.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise CorpusError([f"{path}: cannot read JSON: {exc}"]) from None
    validator = jsonschema.Draft202012Validator(corpus_schema(root, "table.schema.json"))
    errors = [
        f"{path}: {'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
        for e in validator.iter_errors(data)
    ]
    if data.get("profile") != profile and not errors:
        errors.append(f"{path}: profile {data.get('profile')!r} differs from the file name")
    if errors:
        raise CorpusError(errors)
    axes = axes or load_axes(root)
    rows = tuple(
        Row(
            values={a: expand(r[a], a, axes) for a in AXES},
            result=Result.from_json(r["result"]),
            flags=tuple(r.get("flags", ())),
            marker=r.get("marker", ""),
            provenance=tuple(r.get("provenance", ())),
            note=r.get("note"),
            index=i,
            breaks=tuple(r.get("breaks", ())),
        )
        for i, r in enumerate(data["rows"], 1)
    )
    return Table(
        profile=profile, description=data["description"], rows=rows, labels=data.get("labels", {})
    )
