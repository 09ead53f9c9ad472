"""Write or update a known-failures file from a run, keeping the reasons already written.

For each case of the run:

* failed or errored: the entry that holds for the run's implementation (see
  :meth:`harness.expectations.Known.applies`) keeps its reason and conditions and takes the
  run's status; without one, a new entry is added with the given conditions and a reason that
  says it is untriaged and quotes the run's message;
* passed: an entry that holds for the implementation is dropped (it was an unexpected pass);
  entries whose conditions do not hold (another libvirt version, another driver) stay;
* not applicable, or not in the run: untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.expectations import (
    ExpectationsError,
    Known,
    dump_entries,
    load_expectations,
    read_expectations,
)


@dataclass
class Update:
    data: dict[str, Any]
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.kept)} kept, {len(self.removed)} removed (passed)"
        )


def _first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    line = lines[0] if lines else "no message"
    return line if len(line) <= 160 else line[:157] + "..."


def update_expectations(
    document: Mapping[str, Any],
    existing: Path | None,
    when: Mapping[str, str] | None = None,
) -> Update:
    """The updated file contents (``existing`` may be None or a path that does not exist)."""
    header = document["header"]
    impl = header["implementation"]
    version = str(impl.get("version", ""))
    details = {str(k): str(v) for k, v in (impl.get("details") or {}).items()}
    entries: dict[str, list[Known]] = {}
    data: dict[str, Any] = {}
    if existing is not None and existing.exists():
        data = read_expectations(existing)
        entries = {k: list(v) for k, v in load_expectations(existing).items()}
    data.setdefault(
        "implementation", f"{impl.get('name', impl.get('connectable'))} ({header['profile']})"
    )
    conditions = dict(when or {})
    probe = Known("fail", "probe", conditions)
    if conditions and not probe.applies(version, details):
        raise ExpectationsError(
            f"the conditions {conditions} do not hold for the run's implementation "
            f"({impl.get('name')} {version}, {details}); its failures would not be matched"
        )
    out = Update(data)
    for record in document["results"]:
        case_id, status = str(record["id"]), str(record["status"])
        listed = entries.get(case_id, [])
        index = next((i for i, e in enumerate(listed) if e.applies(version, details)), None)
        if status in ("fail", "error"):
            if index is not None:
                listed[index] = replace(listed[index], status=status)  # type: ignore[arg-type]
                out.kept.append(case_id)
            else:
                reason = (
                    f"untriaged: {status} in run {header['run_id']}: "
                    f"{_first_line(record.get('message'))}"
                )
                listed.append(Known(status, reason, conditions))  # type: ignore[arg-type]
                out.added.append(case_id)
            entries[case_id] = listed
        elif status == "pass" and index is not None:
            del listed[index]
            out.removed.append(case_id)
            if listed:
                entries[case_id] = listed
            else:
                del entries[case_id]
    data["cases"] = {k: dump_entries(v) for k, v in sorted(entries.items())}
    return out
