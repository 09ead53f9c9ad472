"""Judge one outcome against one expectation: pass, fail or error, with a readable why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from harness.compare import compare
from harness.compare_model import compare_model
from harness.contract import (
    Accepted,
    ConformanceClass,
    Errored,
    Outcome,
    Rejected,
    Unstored,
    outcome_to_wire,
)
from harness.corpus.model import Case, Expectation, Profile, Tokens
from harness.views import disagreement
from harness.xmlsafe import XmlError

Status = Literal["pass", "fail", "error", "not-applicable"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str | None = None
    diff: str | None = None
    expected: dict[str, Any] | None = None
    actual: dict[str, Any] | None = None


def expected_wire(case: Case, exp: Expectation, tokens: Tokens) -> dict[str, Any]:
    """The expectation in the contract's wire shape (the XML read and substituted)."""
    if exp.outcome == "accepted":
        assert exp.output is not None
        return {"outcome": "accepted", "xml": case.read(exp.output, tokens)}
    wire: dict[str, Any] = {"outcome": "rejected", "kind": str(exp.kind)}
    if exp.code:
        wire["code"] = exp.code
    if exp.message:
        wire["message"] = exp.message
    return wire


def _describe_rejection(kind: object, code: str | None, message: str | None) -> str:
    parts = [f"kind={kind}"]
    if code:
        parts.append(f"code={code}")
    if message:
        parts.append(f"message={message!r}")
    return "rejected (" + ", ".join(parts) + ")"


def rejection_detail_mismatch(
    profile: Profile,
    want_code: str | None,
    want_message: str | None,
    got_code: str | None,
    got_message: str | None,
) -> str | None:
    """How a rejection's code or message misses what is expected, as far as the profile's
    ``match`` asks (``code``: the code; ``message``: the code and a message substring)."""
    if profile.match in ("code", "message") and want_code and got_code != want_code:
        return f"error code {got_code or '(none)'}, expected {want_code}"
    if profile.match == "message" and want_message and want_message not in (got_message or ""):
        return f"message {got_message!r} does not contain {want_message!r}"
    return None


def describe_unstored(outcome: Unstored) -> str:
    """How an unstored outcome reads in a failure message."""
    text = "the request was carried out, but no definition was kept to read back"
    if outcome.detail:
        text += f" ({outcome.detail})"
    return text


def views_verdict(
    outcome: Outcome, expected: dict[str, Any] | None, actual: dict[str, Any]
) -> Verdict | None:
    """A failed verdict when an accepted outcome's views of the definition disagree."""
    if not isinstance(outcome, Accepted):
        return None
    found = disagreement(outcome)
    if found is None:
        return None
    return Verdict("fail", found.message, found.diff, expected, actual)


def _rejection_mismatch(exp: Expectation, got: Rejected, profile: Profile) -> str | None:
    if got.kind != exp.kind:
        return f"rejection kind {got.kind}, expected {exp.kind}"
    return rejection_detail_mismatch(profile, exp.code, exp.message, got.code, got.message)


def judge(
    case: Case,
    exp: Expectation,
    outcome: Outcome,
    profile: Profile,
    tokens: Tokens,
    cls: ConformanceClass | None = None,
) -> Verdict:
    """The verdict on ``outcome`` in conformance class ``cls`` (None: the case level's
    default class, which judges as libvirt-format, semantics or host alike)."""
    if cls is ConformanceClass.MODEL:
        return judge_model(case, exp, outcome, tokens)
    expected = expected_wire(case, exp, tokens)
    actual = outcome_to_wire(outcome)
    if isinstance(outcome, Errored):
        return Verdict(
            "error", f"implementation errored: {outcome.message}", None, expected, actual
        )
    split_views = views_verdict(outcome, expected, actual)
    if split_views is not None:
        return split_views
    if isinstance(outcome, Unstored):
        want = (
            "the definition to be stored"
            if exp.outcome == "accepted"
            else _describe_rejection(exp.kind, exp.code, exp.message)
        )
        return Verdict(
            "fail", f"expected {want}; {describe_unstored(outcome)}", None, expected, actual
        )
    if exp.outcome == "accepted":
        if isinstance(outcome, Rejected):
            return _refused_an_acceptance(outcome, expected, actual)
        assert isinstance(outcome, Accepted)
        try:
            result = compare(expected["xml"], outcome.xml, mode=case.compare_mode, masks=case.masks)
        except XmlError as exc:
            return Verdict("fail", f"cannot compare: {exc}", None, expected, actual)
        if result.equal:
            return Verdict("pass", None, None, expected, actual)
        return Verdict(
            "fail",
            f"accepted, but the output differs from {exp.output} ({case.compare_mode} "
            f"comparison, masks: {', '.join(case.masks) or 'none'})",
            result.report(),
            expected,
            actual,
        )
    want = _describe_rejection(exp.kind, exp.code, exp.message)
    if isinstance(outcome, Accepted):
        return Verdict(
            "fail", f"expected {want}, but the document was accepted", None, expected, actual
        )
    assert isinstance(outcome, Rejected)
    mismatch = _rejection_mismatch(exp, outcome, profile)
    if mismatch is None:
        return Verdict("pass", None, None, expected, actual)
    return Verdict(
        "fail",
        f"expected {want}; got {mismatch} (implementation said: {outcome.message!r})",
        None,
        expected,
        actual,
    )


def _refused_an_acceptance(
    outcome: Rejected, expected: dict[str, Any], actual: dict[str, Any]
) -> Verdict:
    """The fail verdict of every class when a document expected to be accepted was refused."""
    return Verdict(
        "fail",
        "expected the document to be accepted, got "
        + _describe_rejection(outcome.kind, outcome.code, outcome.message),
        None,
        expected,
        actual,
    )


def judge_model(case: Case, exp: Expectation, outcome: Outcome, tokens: Tokens) -> Verdict:
    """The ``model`` class: content preserved (formatter defaults optional, the order of
    differently named elements ignored), and any rejection is a rejection whatever its
    kind or code (see :mod:`harness.compare_model`)."""
    expected = expected_wire(case, exp, tokens)
    actual = outcome_to_wire(outcome)
    if isinstance(outcome, Errored):
        return Verdict(
            "error", f"implementation errored: {outcome.message}", None, expected, actual
        )
    if isinstance(outcome, Unstored):
        return Verdict("fail", f"model class: {describe_unstored(outcome)}", None, expected, actual)
    if exp.outcome == "rejected":
        if isinstance(outcome, Rejected):
            return Verdict("pass", None, None, expected, actual)
        return Verdict(
            "fail",
            "expected a rejection (model class: any kind or code), but the document was accepted",
            None,
            expected,
            actual,
        )
    if isinstance(outcome, Rejected):
        return _refused_an_acceptance(outcome, expected, actual)
    try:
        result = compare_model(
            case.input_xml(tokens), expected["xml"], outcome.xml, masks=case.masks
        )
    except XmlError as exc:
        return Verdict("fail", f"cannot compare: {exc}", None, expected, actual)
    if result.equal:
        return Verdict("pass", None, None, expected, actual)
    return Verdict(
        "fail",
        f"accepted, but the content differs from {exp.output} (model class; masks: "
        f"{', '.join(case.masks) or 'none'}): "
        + "; ".join(result.problems[:3])
        + ("; ..." if len(result.problems) > 3 else ""),
        result.report(),
        expected,
        actual,
    )
