"""Confirm corpus cases live: run each case on a real libvirt and record what it did for one
profile, with provenance saying so.

For each case the live outcome is judged against the case's expectations, the profile's own
first. The first one it passes is confirmed: the profile joins it (leaving any other) and
gains a provenance entry naming the command, the implementation's versions and the date. When
it passes none, a new expectation is written from the live outcome: the stored definition as
an output file (``expected-<profile>.xml``, the run's scratch path and domain UUID put back as
placeholders), or the rejection's kind, code and the stable start of its message. Errored
outcomes, unstored ones (the case format cannot express them) and answers that hold a
run-specific name are reported and written nowhere: a person decides those.

Only a real libvirt may confirm (the CLI refuses ``python:`` implementations), and only with
a provenance source the profile accepts.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from harness.compare import compare
from harness.contract import (
    SCRATCH_TOKEN,
    UUID_TOKEN,
    Accepted,
    Adapter,
    Errored,
    Identity,
    Outcome,
    Rejected,
    RejectionKind,
    Request,
)
from harness.corpus.loader import load_corpus
from harness.corpus.model import Case, Expectation, Profile, Provenance, Tokens, substitute
from harness.judge import judge

Status = Literal["confirmed", "moved", "new", "changed", "unconfirmed", "skipped"]

#: names a run gives its own objects (harness/host/journal.py OWNED_NAME, unanchored)
RUN_NAME = re.compile(r"snapconform-r[0-9a-f]{8}-[a-z0-9-]+")
#: a message shorter than this once cut before its run-specific part is not worth matching
MIN_MESSAGE = 12
CONFIRM_MARK = "confirmed by `snapconform confirm"


@dataclass(frozen=True)
class Confirmation:
    """What confirming one case did: ``confirmed`` (the profile's own expectation held),
    ``moved`` (another expectation held; the profile joined it), ``new`` (a first expectation
    for the profile, from the live outcome), ``changed`` (the profile's expectation did not
    hold; replaced by one from the live outcome), ``unconfirmed`` (nothing written: why says
    why), ``skipped`` (the implementation does not support the case's level/operation)."""

    case_id: str
    status: Status
    why: str = ""


@dataclass
class Report:
    confirmations: list[Confirmation] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for c in self.confirmations if c.status == status)

    def summary(self) -> str:
        names: tuple[Status, ...] = (
            "confirmed",
            "moved",
            "new",
            "changed",
            "unconfirmed",
            "skipped",
        )
        return ", ".join(f"{self.count(s)} {s}" for s in names)


def stable_message(message: str, variable: Iterable[str]) -> str | None:
    """The longest stretch of ``message`` free of run-specific parts (the scratch path and
    what follows it up to a space, the UUID, a run object's name), trimmed of brackets and
    dangling quotes at its cut ends; None when it is too short to be worth matching."""
    cuts: list[tuple[int, int]] = []
    for part in variable:
        start = message.find(part) if part else -1
        while start >= 0:
            end = start + len(part)
            while end < len(message) and not message[end].isspace() and message[end] not in "'\")":
                end += 1  # the rest of a path under the scratch directory
            cuts.append((start, end))
            start = message.find(part, end)
    cuts.extend(m.span() for m in RUN_NAME.finditer(message))
    pieces, at = [], 0
    for start, end in sorted(cuts):
        if start >= at:
            pieces.append((message[at:start], at > 0, True))
            at = end
        else:
            at = max(at, end)
    pieces.append((message[at:], at > 0, False))
    best = max((_trim(text, head, tail) for text, head, tail in pieces), key=len)
    return best if len(best) >= MIN_MESSAGE else None


def _trim(text: str, head: bool, tail: bool) -> str:
    """``text`` less the brackets and the unmatched quote left where it was cut."""
    if tail:
        text = text.rstrip().rstrip("(").rstrip()
        if text[-1:] in ("'", '"') and text.count(text[-1]) % 2:
            text = text[:-1].rstrip()
    if head:
        text = text.lstrip().lstrip(")").lstrip()
        if text[:1] in ("'", '"') and text.count(text[0]) % 2:
            text = text[1:].lstrip()
    return text


def _provenance(source: str, detail: str) -> dict[str, str]:
    return {"source": source, "detail": detail}


def _with_provenance(exp: dict[str, Any], entry: dict[str, str]) -> None:
    """Add ``entry``; an earlier confirmation of the same source through the same
    implementation is replaced, not stacked (one through another adapter, e.g. the binding
    beside virsh, is kept: two independent paths to the same fact)."""
    same = entry["detail"].split("` (", 1)[0]
    kept = [
        p
        for p in exp.get("provenance", [])
        if not (p.get("source") == entry["source"] and p.get("detail", "").startswith(same + "`"))
    ]
    exp["provenance"] = [*kept, entry]


def _leave(data: dict[str, Any], profile: str, keep: int | None) -> list[str]:
    """Take ``profile`` out of every expectation but index ``keep``; drop emptied ones and
    return the output files no expectation names any more."""
    before = {e.get("output") for e in data["expect"] if e.get("output")}
    out = []
    for index, exp in enumerate(data["expect"]):
        if index != keep and profile in exp["profiles"]:
            exp["profiles"] = [p for p in exp["profiles"] if p != profile]
        if exp["profiles"]:
            out.append(exp)
    data["expect"] = out
    after = {e.get("output") for e in out if e.get("output")}
    return sorted(str(f) for f in before - after)


def _as_expectation(data: dict[str, Any]) -> Expectation:
    kind = data.get("kind")
    return Expectation(
        profiles=tuple(data["profiles"]),
        outcome=data["outcome"],
        provenance=tuple(Provenance(p["source"], p["detail"]) for p in data["provenance"]),
        output=data.get("output"),
        kind=RejectionKind(kind) if kind else None,
        code=data.get("code"),
        message=data.get("message"),
        note=data.get("note"),
    )


@dataclass(frozen=True)
class Live:
    """One case's live answer and what it takes to judge and record it."""

    case: Case
    outcome: Outcome
    tokens: Tokens
    variable: tuple[str, ...]


def confirm_case(
    live: Live, profile: Profile, source: str, detail: str
) -> tuple[Confirmation, dict[str, Any] | None, dict[str, str], list[str]]:
    """The confirmation, the new case.json data (None: unchanged), the files to write (name
    -> text) and the files to delete."""
    case, outcome = live.case, live.outcome
    if isinstance(outcome, Errored):
        return Confirmation(case.id, "unconfirmed", f"errored: {outcome.message}"), None, {}, []
    data: dict[str, Any] = json.loads((case.path / "case.json").read_text(encoding="utf-8"))
    mine = next((i for i, e in enumerate(data["expect"]) if profile.name in e["profiles"]), None)
    order = ([mine] if mine is not None else []) + [
        i for i in range(len(data["expect"])) if i != mine
    ]
    for index in order:
        exp = _as_expectation(data["expect"][index])
        verdict = judge(case, exp, outcome, profile, live.tokens)
        if verdict.status != "pass":
            continue
        held = data["expect"][index]
        if profile.name not in held["profiles"]:
            held["profiles"] = [*held["profiles"], profile.name]
        said = getattr(outcome, "message", "")
        what = held.get("output") or f"rejected: {_placeholders(said, live.tokens)}"
        _with_provenance(held, _provenance(source, f"{detail}: {_said(outcome, what)}"))
        dropped = _leave(data, profile.name, index)
        status: Status = "confirmed" if index == mine else "moved"
        return Confirmation(case.id, status), data, {}, dropped
    made = _new_expectation(live, profile, source, detail)
    if isinstance(made, str):
        return Confirmation(case.id, "unconfirmed", made), None, {}, []
    new, files = made
    dropped = [f for f in _leave(data, profile.name, None) if f not in files]
    data["expect"].append(new)
    why = "" if mine is None else "the profile's expectation did not hold"
    return Confirmation(case.id, "new" if mine is None else "changed", why), data, files, dropped


def _said(outcome: Outcome, what: str) -> str:
    if isinstance(outcome, Accepted):
        return f"accepted, stored definition as in {what}"
    return what


def _placeholders(text: str, tokens: Tokens) -> str:
    for token in (SCRATCH_TOKEN, UUID_TOKEN):
        value = tokens.get(token)
        if value:
            text = text.replace(value, token)
    return text


def _new_expectation(
    live: Live, profile: Profile, source: str, detail: str
) -> tuple[dict[str, Any], dict[str, str]] | str:
    """An expectation from the live outcome and its files, or why none can be written."""
    outcome = live.outcome
    if isinstance(outcome, Accepted):
        text = _masked_domain(_placeholders(outcome.xml, live.tokens), live.case)
        if RUN_NAME.search(text):
            return "accepted, but the answer holds a run-specific name the case does not mask"
        name = f"expected-{profile.name}.xml"
        exp: dict[str, Any] = {"profiles": [profile.name], "outcome": "accepted", "output": name}
        exp["provenance"] = [_provenance(source, f"{detail}: {_said(outcome, name)}")]
        files = {name: text if text.endswith("\n") else text + "\n"}
        again = compare(
            substitute(files[name], live.tokens),
            outcome.xml,
            mode=live.case.compare_mode,
            masks=live.case.masks,
        )
        if not again.equal:
            return "accepted, but the written answer would not match it again"
        return exp, files
    if isinstance(outcome, Rejected):
        exp = {"profiles": [profile.name], "outcome": "rejected", "kind": str(outcome.kind)}
        if outcome.code:
            exp["code"] = outcome.code
        message = stable_message(outcome.message or "", live.variable)
        if message:
            exp["message"] = message
        exp["provenance"] = [
            _provenance(
                source, f"{detail}: rejected: {_placeholders(outcome.message, live.tokens)}"
            )
        ]
        return exp, {}
    return f"{outcome.outcome}: the case format cannot state this outcome"


def _masked_domain(xml: str, case: Case) -> str:
    """The answer with what the case's masks neutralise written as the corpus writes it: the
    embedded ``<domain>`` as an empty element keeping its type, ``<inactiveDomain>`` left
    out (both are masked when compared, and would hold the run's own domain)."""
    if "domain" not in case.masks and "domain-only" not in case.masks:
        return xml
    xml = re.sub(r"\n?[ \t]*<inactiveDomain[ >].*?</inactiveDomain>", "", xml, flags=re.S)

    def stub(found: re.Match[str]) -> str:
        kind = re.search(r"\btype=('[^']*'|\"[^\"]*\")", found.group(1) or "")
        return f"<domain type={kind.group(1)}/>" if kind else "<domain/>"

    return re.sub(r"<domain((?:\s[^>]*)?)>.*</domain>", stub, xml, count=1, flags=re.S)


def request_of(case: Case, tokens: Tokens) -> Request:
    return Request(case.level, case.operation, case.input_xml(tokens), case.context(tokens))


def confirm_corpus(
    adapter: Adapter,
    root: Path,
    profile_name: str,
    source: str,
    *,
    only: str | None = None,
    write: bool = False,
    new_uuid: Callable[[], str],
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Confirm every case (whose id matches the glob ``only``) of the corpus at ``root``."""
    corpus = load_corpus(root)
    profile = corpus.profiles.get(profile_name)
    if profile is None:
        raise ValueError(f"unknown profile {profile_name!r}")
    if source not in profile.provenance:
        raise ValueError(
            f"{profile_name} does not accept provenance {source!r} "
            f"(it accepts: {', '.join(sorted(profile.provenance))})"
        )
    identity = adapter.identify()
    detail = _detail(adapter.connectable, identity)
    report = Report()
    for case in corpus.cases:
        if only is not None and not fnmatch.fnmatchcase(case.id, only):
            continue
        if progress is not None:
            progress(case.id)
        if not identity.supports(case.level, case.operation):
            why = f"{identity.name} does not support {case.level}/{case.operation}"
            report.confirmations.append(Confirmation(case.id, "skipped", why))
            continue
        uuid = new_uuid()
        tokens = {SCRATCH_TOKEN: adapter.scratch, UUID_TOKEN: uuid}
        outcome = adapter.run(request_of(case, tokens))
        live = Live(case, outcome, tokens, (adapter.scratch, uuid))
        confirmation, data, files, dropped = confirm_case(live, profile, source, detail)
        report.confirmations.append(confirmation)
        if write and data is not None:
            report.written.extend(_write(case.path, data, files, dropped))
    return report


def _detail(connectable: str, identity: Identity) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in sorted(identity.details.items()))
    stamp = datetime.now(UTC).date().isoformat()
    return f"{CONFIRM_MARK} --impl {connectable}` ({versions}), {stamp}"


def _write(
    folder: Path, data: dict[str, Any], files: dict[str, str], dropped: list[str]
) -> list[Path]:
    out = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        out.append(folder / name)
    target = folder / "case.json"
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.append(target)
    for name in dropped:
        if name != data.get("input") and (folder / name).is_file():
            (folder / name).unlink()
    return out
