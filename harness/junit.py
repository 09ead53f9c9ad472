"""JUnit XML from a results document (the ``results.json`` form), for CI dashboards.

One ``<testsuite name="snapconform">`` inside ``<testsuites>``; one ``<testcase>`` per
record, ``classname`` the level and ``name`` the case id:

* ``fail`` gives ``<failure>`` and ``error`` gives ``<error>``, the message as the
  ``message`` attribute and the message plus the diff as text;
* ``not-applicable`` gives ``<skipped>``;
* a failure or error that a known-failures file lists with that very status is an expected
  failure, not a CI failure: ``<skipped type="known-fail">`` (or ``known-error``) with the
  diff as text, as pytest's own JUnit output does for xfail. A known status that does not
  match (listed ``fail``, got ``error``) is reported as usual;
* an unexpected pass is a pass, with a note in ``<system-out>``.

Text an implementation produced may hold characters XML 1.0 cannot carry (control
characters, lone surrogates): they are written as ``\\xNN`` / ``\\uNNNN`` escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

#: Characters XML 1.0 does not allow, in any form.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: Longest ``message`` attribute; the element text always has the whole message.
_MAX_ATTRIBUTE = 1000


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _NOT_XML.sub(escape, str(value))


def _attribute(value: object) -> str:
    text = xml_text(value)
    return text if len(text) <= _MAX_ATTRIBUTE else text[: _MAX_ATTRIBUTE - 3] + "..."


def _seconds(value: object) -> str:
    return f"{float(value) if isinstance(value, int | float) else 0.0:.3f}"


def classify(record: Mapping[str, Any]) -> str:
    """How a record shows in JUnit: ``pass``, ``failure``, ``error``, ``skipped`` or
    ``known`` (an expected failure, shown as skipped)."""
    status = record.get("status")
    if status in ("fail", "error") and record.get("known") == status:
        return "known"
    return {"pass": "pass", "fail": "failure", "error": "error"}.get(str(status), "skipped")


def _body(record: Mapping[str, Any]) -> str:
    parts = [str(p) for p in (record.get("message"), record.get("diff")) if p]
    return "\n\n".join(parts)


def _outcomes(record: Mapping[str, Any]) -> str:
    lines = []
    for key in ("expected", "actual"):
        if record.get(key) is not None:
            lines.append(f"{key}: {json.dumps(record[key], ensure_ascii=False, indent=2)}")
    return "\n".join(lines)


def render_junit(document: Mapping[str, Any]) -> bytes:
    """JUnit XML (UTF-8, with declaration) for a results document."""
    header: Mapping[str, Any] = document.get("header", {})
    records: list[Mapping[str, Any]] = list(document.get("results", []))
    kinds = [classify(r) for r in records]
    totals = {
        "tests": str(len(records)),
        "failures": str(kinds.count("failure")),
        "errors": str(kinds.count("error")),
        "skipped": str(kinds.count("skipped") + kinds.count("known")),
        "time": _seconds(sum(float(r.get("duration") or 0) for r in records)),
    }
    suites = etree.Element("testsuites", {"name": "snapconform", **totals})
    suite = etree.SubElement(suites, "testsuite", {"name": "snapconform", **totals})
    if header.get("started"):
        suite.set("timestamp", _attribute(header["started"]))
    if header.get("run_id"):
        suite.set("id", _attribute(header["run_id"]))

    properties = etree.SubElement(suite, "properties")
    implementation: Mapping[str, Any] = header.get("implementation") or {}
    footer: Mapping[str, Any] = document.get("footer") or {}
    for name, value in (
        ("run_id", header.get("run_id")),
        ("harness_version", header.get("harness_version")),
        ("corpus_version", header.get("corpus_version")),
        ("contract", header.get("contract")),
        ("profile", header.get("profile")),
        ("implementation.name", implementation.get("name")),
        ("implementation.version", implementation.get("version")),
        ("implementation.connectable", implementation.get("connectable")),
        ("complete", json.dumps(footer.get("complete")) if "complete" in footer else None),
    ):
        if value is not None:
            etree.SubElement(properties, "property", name=name, value=_attribute(value))

    for record, kind in zip(records, kinds, strict=True):
        case = etree.SubElement(
            suite,
            "testcase",
            classname=_attribute(record.get("level", "")),
            name=_attribute(record.get("id", "")),
            time=_seconds(record.get("duration")),
        )
        message = str(record.get("message") or "")
        status = record.get("status")
        if kind in ("failure", "error"):
            if record.get("known"):
                message = f"{message} (listed as known {record['known']}, got {status})".strip()
            default = "output differs" if kind == "failure" else "error"
            child = etree.SubElement(
                case, kind, message=_attribute(message or default), type=str(status)
            )
            child.text = xml_text(_body(record) or message or default)
        elif kind == "known":
            child = etree.SubElement(
                case,
                "skipped",
                message=_attribute(f"known {status}: {message}" if message else f"known {status}"),
                type=f"known-{status}",
            )
            child.text = xml_text(_body(record))
        elif kind == "skipped":
            why = f"not-applicable: {message}" if message else "not-applicable"
            etree.SubElement(case, "skipped", message=_attribute(why))
        notes = []
        if record.get("unexpected_pass"):
            notes.append(
                f"UNEXPECTED PASS: listed as a known {record.get('known') or 'failure'} but passed"
            )
        if kind in ("failure", "error", "known"):
            notes.append(_outcomes(record))
        text = "\n".join(n for n in notes if n)
        if text:
            etree.SubElement(case, "system-out").text = xml_text(text)

    return etree.tostring(suites, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def write_junit(path: Path, document: Mapping[str, Any]) -> Path:
    """Write :func:`render_junit` of ``document`` to ``path`` atomically."""
    from harness.results import atomic_write  # results imports this module

    atomic_write(Path(path), render_junit(document))
    return Path(path)


__all__ = ["classify", "render_junit", "write_junit", "xml_text"]
