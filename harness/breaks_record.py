"""Write the derived ``breaks`` (harness/breaks.py) into a corpus's tables and case.json files.

``snapconform breaks --write`` runs this after a table is measured or an expectation is
confirmed: the records then say which stated rules the profile contradicts, and
``snapconform check`` keeps them true.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness import breaks
from harness.corpus.model import Corpus
from harness.rules import Catalogue
from harness.table.measure import dump_table
from harness.table.model import Table


def derived_rows(catalogue: Catalogue, tables: Mapping[str, Table]) -> dict[str, list[list[str]]]:
    """profile -> per row, the stated rules its cells break."""
    return {
        p: [list(r) for r in breaks.row_breaks(t, breaks.cell_breaks(catalogue, tables, p))]
        for p, t in tables.items()
    }


def derived_expectations(catalogue: Catalogue, corpus: Corpus) -> dict[str, list[list[str]]]:
    """case id -> per expectation, the stated rules it breaks (the union over its profiles)."""
    out: dict[str, list[list[str]]] = {}
    for case in corpus.cases:
        per: list[list[str]] = []
        for exp in case.expectations:
            ids: list[str] = []
            for profile in exp.profiles:
                found = breaks.case_breaks(catalogue, corpus, case, profile)
                ids.extend(r for r in found if r not in ids)
            per.append(ids)
        out[case.id] = per
    return out


def _set(item: dict[str, Any], ids: list[str]) -> bool:
    """Set or drop ``breaks`` on one row or expectation; whether it changed."""
    if ids:
        if item.get("breaks") == ids:
            return False
        item["breaks"] = ids
        return True
    return item.pop("breaks", None) is not None


def write(
    root: Path, catalogue: Catalogue, corpus: Corpus, tables: Mapping[str, Table]
) -> list[str]:
    """Rewrite the files whose records differ from the derivation; the files written."""
    written: list[str] = []
    for profile, per_row in derived_rows(catalogue, tables).items():
        path = root / "tables" / f"{profile}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        changed = [_set(row, ids) for row, ids in zip(document["rows"], per_row, strict=True)]
        if any(changed):
            path.write_text(dump_table(document), encoding="utf-8")
            written.append(str(path))
    for case_id, per_exp in derived_expectations(catalogue, corpus).items():
        path = corpus.case(case_id).path / "case.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        changed = [_set(e, ids) for e, ids in zip(document["expect"], per_exp, strict=True)]
        if any(changed):
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
    return written
