"""Which conformance classes a corpus case belongs to, and how to select cases.

The rule (docs/contract.md, "Conformance classes"):

* a ``syntax`` case belongs to ``libvirt-format``; it also belongs to ``model`` when libvirt's
  parser and its RELAX NG schema agree on the document: libvirt accepts it and the schema
  says ``valid``, or libvirt rejects it and the schema says ``invalid``. A document one of
  them accepts and the other rejects says nothing fair about a model (a library that
  validates with the schema cannot accept it; one that follows the parser cannot reject it);
* a ``semantics`` case (and a table cell) belongs to ``semantics``;
* a ``host`` case belongs to ``host``.

Membership depends on the profile's expectation (accepted or rejected), so it is computed
for one profile.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from harness.contract import ConformanceClass, Identity, Level
from harness.corpus.model import Case, Expectation

#: The order classes are listed and judged in (the loosest first).
ORDER: tuple[ConformanceClass, ...] = (
    ConformanceClass.MODEL,
    ConformanceClass.LIBVIRT_FORMAT,
    ConformanceClass.SEMANTICS,
    ConformanceClass.HOST,
)

#: The tag every table cell carries (cells have no case.json of their own).
TABLE_TAG = "table"


def schema_agrees(case: Case, exp: Expectation) -> bool:
    """True when libvirt's RELAX NG verdict on the input agrees with libvirt's parser."""
    if exp.outcome == "accepted":
        return case.rng == "valid"
    return case.rng == "invalid"


def case_classes(case: Case, exp: Expectation | None) -> tuple[ConformanceClass, ...]:
    """The classes ``case`` belongs to under the profile whose expectation is ``exp``."""
    if case.level is Level.SYNTAX:
        if exp is not None and schema_agrees(case, exp):
            return (ConformanceClass.MODEL, ConformanceClass.LIBVIRT_FORMAT)
        return (ConformanceClass.LIBVIRT_FORMAT,)
    if case.level is Level.SEMANTICS:
        return (ConformanceClass.SEMANTICS,)
    return (ConformanceClass.HOST,)


def cell_classes() -> tuple[ConformanceClass, ...]:
    """The classes of a combination-table cell (a semantics create request)."""
    return (ConformanceClass.SEMANTICS,)


def judged_classes(
    belongs: Iterable[ConformanceClass],
    identity: Identity,
    only: Collection[ConformanceClass] = (),
) -> tuple[ConformanceClass, ...]:
    """The classes a case is judged in: those it belongs to that the implementation claims
    (and, with ``only``, that were selected), in :data:`ORDER`."""
    claimed = identity.claimed_classes()
    wanted = set(belongs) & claimed
    if only:
        wanted &= set(only)
    return tuple(c for c in ORDER if c in wanted)


def parse_classes(names: Iterable[str]) -> tuple[ConformanceClass, ...]:
    """Class names from a command line; :class:`ValueError` naming the known ones."""
    out = []
    known = ", ".join(str(c) for c in ORDER)
    for name in names:
        try:
            out.append(ConformanceClass(name))
        except ValueError:
            raise ValueError(f"unknown conformance class {name!r}; known: {known}") from None
    return tuple(out)


__all__ = [
    "ORDER",
    "TABLE_TAG",
    "case_classes",
    "cell_classes",
    "judged_classes",
    "parse_classes",
    "schema_agrees",
]
