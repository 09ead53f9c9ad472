"""Compare two runs case by case: what regressed, what got fixed, what came and went.

Cases are aligned by id; an id in the base run that the corpus has renamed (``renames.json``,
old id -> new id, chains followed) is looked up under its new id. A *regression* is a case that
fails or errors in the new run (and is not a listed known failure there) while it did not fail
in the base run: a case that passed, was not applicable, or did not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.report.model import display_status

BAD = frozenset({"fail", "error"})


class GateRefusal(ValueError):
    """The two runs are of different implementations or profiles."""


@dataclass
class Change:
    case_id: str
    base: str | None
    new: str | None
    base_message: str | None = None
    new_message: str | None = None
    renamed_from: str | None = None

    def line(self) -> str:
        was = f" (was {self.renamed_from})" if self.renamed_from else ""
        text = f"{self.case_id}{was}: {self.base or 'absent'} -> {self.new or 'absent'}"
        if self.new_message and self.new_message != self.base_message:
            text += f"\n      {_first_line(self.new_message)}"
        return text


@dataclass
class Comparison:
    base: Mapping[str, Any]
    new: Mapping[str, Any]
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    changed_messages: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    unchanged: int = 0

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def text(self) -> str:
        def who(doc: Mapping[str, Any]) -> str:
            impl = doc["header"]["implementation"]
            return (
                f"{impl.get('name', impl.get('connectable'))} {impl.get('version', '')} "
                f"under {doc['header']['profile']} ({doc['header']['run_id']})"
            )

        lines = [f"base: {who(self.base)}", f"new:  {who(self.new)}"]
        if not self.new["footer"]["complete"]:
            lines.append("warning: the new run is incomplete (interrupted)")
        for title, changes in (
            ("new failures", self.regressions),
            ("fixes", self.fixes),
            ("new cases", self.added),
            ("removed cases", self.removed),
            ("changed messages", self.changed_messages),
            ("other status changes", self.other),
        ):
            if changes:
                lines.append(f"{title} ({len(changes)}):")
                lines.extend("  " + c.line() for c in changes)
        lines.append(
            f"{len(self.regressions)} new failure(s), {len(self.fixes)} fix(es), "
            f"{len(self.added)} new, {len(self.removed)} removed, "
            f"{len(self.changed_messages)} changed message(s), {self.unchanged} unchanged"
        )
        lines.append("REGRESSION" if self.regressed else "no regression")
        return "\n".join(lines)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


def follow(case_id: str, renames: Mapping[str, str]) -> str:
    """The current id of ``case_id`` after every rename (cycles stop where they loop)."""
    seen = {case_id}
    while case_id in renames and renames[case_id] not in seen:
        case_id = renames[case_id]
        seen.add(case_id)
    return case_id


def identity_key(document: Mapping[str, Any]) -> str:
    impl = document["header"]["implementation"]
    return str(impl.get("name") or impl.get("connectable"))


def compare_runs(
    base: Mapping[str, Any],
    new: Mapping[str, Any],
    renames: Mapping[str, str],
    *,
    allow_different: bool = False,
) -> Comparison:
    """Compare two loaded results documents.

    :raises GateRefusal: different implementations (by name) or profiles, unless
        ``allow_different``.
    """
    if not allow_different:
        if identity_key(base) != identity_key(new):
            raise GateRefusal(
                f"the runs are of different implementations ({identity_key(base)!r} and "
                f"{identity_key(new)!r}); pass --allow-different to compare them anyway"
            )
        if base["header"]["profile"] != new["header"]["profile"]:
            raise GateRefusal(
                f"the runs are judged under different profiles ({base['header']['profile']} "
                f"and {new['header']['profile']}); pass --allow-different to compare them anyway"
            )
    base_records: dict[str, tuple[dict[str, Any], str | None]] = {}
    for record in base["results"]:
        current = follow(str(record["id"]), renames)
        base_records[current] = (record, record["id"] if current != record["id"] else None)
    new_records = {str(r["id"]): r for r in new["results"]}
    out = Comparison(base, new)
    for case_id, record in new_records.items():
        now = display_status(record)
        if case_id not in base_records:
            change = Change(case_id, None, now, None, record.get("message"))
            out.added.append(change)
            if now in BAD:
                out.regressions.append(change)
            continue
        old_record, renamed = base_records[case_id]
        was = display_status(old_record)
        change = Change(
            case_id, was, now, old_record.get("message"), record.get("message"), renamed
        )
        if now in BAD and was not in BAD:
            out.regressions.append(change)
        elif was in BAD | {"known-failure"} and now in ("pass", "unexpected-pass"):
            out.fixes.append(change)
        elif (
            now == was
            and now in BAD | {"known-failure"}
            and (old_record.get("message") != record.get("message"))
        ):
            out.changed_messages.append(change)
        elif now != was:
            out.other.append(change)
        else:
            out.unchanged += 1
    for case_id, (old_record, renamed) in base_records.items():
        if case_id not in new_records:
            out.removed.append(
                Change(renamed or case_id, display_status(old_record), None, None, None)
            )
    for changes in (out.regressions, out.fixes, out.added, out.removed, out.changed_messages):
        changes.sort(key=lambda c: c.case_id)
    return out
