"""Known failures of one implementation, kept apart from the corpus (web-platform-tests style).

A file is JSON::

    {"implementation": "free text naming what this file is about",
     "cases": {"case-id": {"status": "fail", "reason": "bug 123: ..."}}}

A case listed here that fails (or errors) as listed is an expected failure and does not fail
the run; a listed case that passes is reported as an *unexpected pass*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

KnownStatus = Literal["fail", "error"]


class ExpectationsError(ValueError):
    pass


@dataclass(frozen=True)
class Known:
    status: KnownStatus
    reason: str


def load_expectations(path: Path, known_ids: set[str] | None = None) -> dict[str, Known]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExpectationsError(f"{path}: cannot read: {exc}") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, dict):
        raise ExpectationsError(f'{path}: expected an object with a "cases" object')
    out: dict[str, Known] = {}
    for case_id, entry in cases.items():
        if not isinstance(entry, dict) or entry.get("status") not in ("fail", "error"):
            raise ExpectationsError(f'{path}: {case_id}: needs "status": "fail" or "error"')
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ExpectationsError(f'{path}: {case_id}: needs a "reason"')
        if known_ids is not None and case_id not in known_ids:
            raise ExpectationsError(f"{path}: {case_id}: no such case in the corpus")
        out[case_id] = Known(entry["status"], reason)
    return out
