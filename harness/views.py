"""Views of one stored definition must agree.

A host shows a snapshot in several ways: the object the create call returned, a lookup by
name, the current snapshot, the list of snapshots (virsh: the name ``snapshot-create``
prints, ``snapshot-dumpxml``, ``snapshot-current --name``, ``snapshot-list``). A mock of
libvirt that is wrong in exactly one of them is the most common real bug, so an accepted
outcome whose views disagree is a failed case, whatever the corpus expects.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from harness.compare import pretty
from harness.contract import Accepted
from harness.xmlsafe import XmlError, parse_xml

#: how the primary document of an accepted outcome is named in messages
PRIMARY = "the definition read back"


@dataclass(frozen=True)
class Disagreement:
    message: str
    diff: str | None = None


def _name_of(xml: str) -> str | None:
    try:
        return parse_xml(xml, what="answer XML").findtext("name")
    except XmlError:
        return None


def disagreement(outcome: Accepted) -> Disagreement | None:
    """The first view that disagrees with the primary document, or None."""
    if not outcome.views:
        return None
    name = _name_of(outcome.xml)
    try:
        primary = pretty(outcome.xml)
    except XmlError as exc:
        return Disagreement(f"cannot read {PRIMARY}: {exc}")
    for view in outcome.views:
        if view.name is None and view.xml is None:
            return Disagreement(
                f"views disagree: {view.source} does not show snapshot {name!r}, "
                f"which {PRIMARY} shows"
            )
        if view.name is not None and view.name != name:
            return Disagreement(
                f"views disagree: {view.source} names the snapshot {view.name!r}, "
                f"{PRIMARY} names it {name!r}"
            )
        if view.xml is None:
            continue
        try:
            seen = pretty(view.xml)
        except XmlError as exc:
            return Disagreement(f"views disagree: {view.source} is unreadable: {exc}")
        if seen != primary:
            diff = "".join(
                difflib.unified_diff(
                    primary.splitlines(True),
                    seen.splitlines(True),
                    fromfile=PRIMARY,
                    tofile=view.source,
                )
            )
            return Disagreement(
                f"views disagree: {view.source} differs from {PRIMARY}",
                f"unified diff ({PRIMARY} -> {view.source}):\n{diff}",
            )
    return None
