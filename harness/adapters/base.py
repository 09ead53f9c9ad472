"""What every adapter shares: turning an implementation's answer into an Outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.contract import (
    Accepted,
    ContractError,
    Errored,
    Outcome,
    outcome_from_wire,
)
from harness.xmlsafe import MAX_XML_BYTES, XmlError, parse_xml


class AdapterError(Exception):
    """The implementation cannot be reached or identified at all (bad connectable, import
    failure, off-contract identify answer). Per-case faults are :class:`Errored` instead."""


def checked_outcome(answer: object) -> Outcome:
    """Validate a wire answer: off-contract or unparsable answers become :class:`Errored`."""
    try:
        outcome = outcome_from_wire(answer)
    except ContractError as exc:
        return Errored(f"answer is off-contract: {exc}")
    return checked_xml(outcome)


def _xml_problem(xml: str, what: str) -> str | None:
    size = len(xml.encode("utf-8", errors="replace"))
    if size > MAX_XML_BYTES:
        return f"{what} is {size} bytes, larger than the limit of {MAX_XML_BYTES}"
    try:
        root = parse_xml(xml, what=what)
    except XmlError as exc:
        return str(exc)
    if root.tag != "domainsnapshot":
        return f"{what} has root <{root.tag}>, not <domainsnapshot>"
    return None


def checked_xml(outcome: Outcome) -> Outcome:
    """An accepted outcome whose XML (or a view's) is oversized or malformed is an
    implementation fault."""
    if isinstance(outcome, Accepted):
        problem = _xml_problem(outcome.xml, "answer XML")
        for view in outcome.views:
            if problem is None and view.xml is not None:
                problem = _xml_problem(view.xml, f"answer XML of view {view.source}")
        if problem is not None:
            return Errored(problem)
    return outcome


def describe_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def call_guarded(fn: Callable[[], Any], what: str) -> tuple[Any, Errored | None]:
    """Call ``fn``; an exception from the implementation is an :class:`Errored`."""
    try:
        return fn(), None
    except Exception as exc:  # the implementation's fault, reported not raised
        return None, Errored(f"{what} raised {describe_exception(exc)}")
