"""Known failures of one implementation, kept apart from the corpus (web-platform-tests style).

A file is JSON::

    {"implementation": "free text naming what this file is about",
     "cases": {"case-id": {"status": "fail", "reason": "bug 123: ...",
                           "when": {"libvirt": ">=9.0.0,<10.0.0", "driver": "qemu"}}}}

A case listed here that fails (or errors) as listed is an expected failure and does not fail
the run; a listed case that passes is reported as an *unexpected pass*. ``when`` is optional:
an entry with conditions holds only for implementations whose identity meets all of them:
``libvirt`` a version range (PEP 440 specifiers, e.g. ``>=9.0,<9.5``) checked against the
identity's ``libvirt`` detail (or its version), ``driver`` (and any other key) equal to the
identity detail of that name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from harness import jsonsafe

KnownStatus = Literal["fail", "error"]

#: Condition keys compared as version ranges; every other key is an exact match.
VERSION_CONDITIONS = frozenset({"libvirt", "version", "hypervisor"})


class ExpectationsError(ValueError):
    pass


@dataclass(frozen=True)
class Known:
    status: KnownStatus
    reason: str
    when: Mapping[str, str] = field(default_factory=dict)

    def applies(self, version: str, details: Mapping[str, str]) -> bool:
        """Whether this entry holds for an implementation of this version and details."""
        for key, wanted in self.when.items():
            have = details.get(key, version if key in ("libvirt", "version") else None)
            if have is None:
                return False
            if key in VERSION_CONDITIONS:
                try:
                    if Version(have) not in SpecifierSet(wanted):
                        return False
                except InvalidVersion:
                    return False
            elif have != wanted:
                return False
        return True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "reason": self.reason}
        if self.when:
            out["when"] = dict(self.when)
        return out


def _when(path: Path, case_id: str, entry: Mapping[str, Any]) -> dict[str, str]:
    when = entry.get("when", {})
    if not isinstance(when, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in when.items()
    ):
        raise ExpectationsError(f'{path}: {case_id}: "when" must map names to strings')
    for key in VERSION_CONDITIONS & when.keys():
        try:
            SpecifierSet(when[key])
        except InvalidSpecifier:
            raise ExpectationsError(
                f"{path}: {case_id}: {key} range {when[key]!r} is not a version range "
                "such as '>=9.0,<10'"
            ) from None
    return dict(when)


def read_expectations(path: Path) -> dict[str, Any]:
    """The file's JSON object (``implementation``, ``cases``), checked for shape only."""
    try:
        data = jsonsafe.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExpectationsError(f"{path}: cannot read: {exc}") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, dict):
        raise ExpectationsError(f'{path}: expected an object with a "cases" object')
    out: dict[str, Any] = data
    return out


def _entry(path: Path, case_id: str, entry: object) -> Known:
    if not isinstance(entry, dict) or entry.get("status") not in ("fail", "error"):
        raise ExpectationsError(f'{path}: {case_id}: needs "status": "fail" or "error"')
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationsError(f'{path}: {case_id}: needs a "reason"')
    return Known(entry["status"], reason, _when(path, case_id, entry))


def load_expectations(
    path: Path, known_ids: set[str] | None = None
) -> dict[str, tuple[Known, ...]]:
    """Every entry of the file by case id (a case's value is one entry or a list of them,
    e.g. one per libvirt version range); see :func:`applicable` for those that hold."""
    data = read_expectations(path)
    out: dict[str, tuple[Known, ...]] = {}
    for case_id, value in data["cases"].items():
        if known_ids is not None and case_id not in known_ids:
            raise ExpectationsError(f"{path}: {case_id}: no such case in the corpus")
        entries = value if isinstance(value, list) else [value]
        if not entries:
            raise ExpectationsError(f"{path}: {case_id}: an empty list of entries")
        out[case_id] = tuple(_entry(path, case_id, e) for e in entries)
    return out


def applicable(
    known: Mapping[str, tuple[Known, ...]], version: str, details: Mapping[str, str]
) -> dict[str, Known]:
    """For each case, the first entry whose conditions the implementation meets."""
    out: dict[str, Known] = {}
    for case_id, entries in known.items():
        for entry in entries:
            if entry.applies(version, details):
                out[case_id] = entry
                break
    return out


def dump_entries(entries: list[Known]) -> object:
    """A case's value in a file: one entry as an object, several as a list."""
    return entries[0].to_json() if len(entries) == 1 else [e.to_json() for e in entries]
