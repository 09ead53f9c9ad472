"""snapconform's reference implementation of libvirt's ``<domainsnapshot>`` behaviour.

A pure-Python model at the syntax and semantics levels, in three profiles:

* ``libvirt-9.0-qemu`` (default): libvirt 9.0.0's parser and formatter, QEMU driver rules;
* ``libvirt-9.0-test``: the same parser, the test driver's rules;
* ``plan-1.0.1``: the seed-era parser and formatter, and the seed commit's 1.0.1 table.

Reach it as ``python:harness.reference`` (default profile) or
``python:harness.reference:<instance>`` with an instance below. It is one implementation
among others: the corpus is the oracle, never this code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..contract import (
    CONTRACT_VERSION,
    ERROR_CODE_KINDS,
    Context,
    DomainState,
    Flag,
    Level,
    Operation,
    RejectionKind,
    Wire,
    rejected,
    request_from_wire,
)
from .create import create
from .domain import from_context
from .effects import effects_of
from .errors import SnapshotError
from .format import format_snapshot
from .model import SnapshotDef
from .parse import ParseOptions, parse
from .plan import create_planned
from .profiles import PROFILES, Driver, Profile
from .redefine import redefine
from .snapshots import SnapshotList

__all__ = [
    "Reference",
    "identify",
    "libvirt_9_0_qemu",
    "libvirt_9_0_test",
    "plan_1_0_1",
    "run",
]


def _rejection(error: SnapshotError) -> Wire:
    if error.code in ERROR_CODE_KINDS:
        return rejected(error.code, error.message)
    # libvirt codes the contract does not list (e.g. VIR_ERR_OPERATION_FAILED) still say
    # "this request cannot be done as asked"
    return {
        "outcome": "rejected",
        "kind": str(RejectionKind.INVALID),
        "code": error.code,
        "message": error.message,
    }


class Reference:
    """The reference implementation in one profile."""

    def __init__(self, profile: str, *, clock: Callable[[], float] = time.time) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {sorted(PROFILES)}")
        self.profile: Profile = PROFILES[profile]
        self._clock = clock

    def identify(self) -> Wire:
        return {
            "contract": CONTRACT_VERSION,
            "name": "snapconform-reference",
            "version": __version__,
            "levels": [str(Level.SYNTAX), str(Level.SEMANTICS)],
            "operations": [str(Operation.PARSE), str(Operation.CREATE), str(Operation.REDEFINE)],
            "profile": self.profile.name,
            # libvirt-format holds it to libvirt's bytes; model is claimed too, so that
            # every run checks that the model class passes what libvirt itself writes
            "classes": ["model", "libvirt-format", "semantics"],
            "details": {
                "era": self.profile.era.value,
                "driver": self.profile.driver.value,
                "description": self.profile.description,
            },
        }

    def run(self, request: dict[str, Any]) -> Wire:
        """Answer one wire request with an accepted or rejected outcome.

        An off-contract request raises :class:`~harness.contract.ContractError`.
        """
        req = request_from_wire(request)
        try:
            if req.level is Level.SYNTAX and req.operation is Operation.PARSE:
                snap = self._parse(req.xml)
            elif req.level is Level.SEMANTICS and req.operation is not Operation.PARSE:
                if req.context is None:
                    return rejected("VIR_ERR_INVALID_ARG", "a semantics request needs a context")
                snap = self._semantics(req.operation, req.xml, req.context)
            else:
                return rejected(
                    "VIR_ERR_NO_SUPPORT",
                    f"{req.operation} at level {req.level} is not implemented by the reference",
                )
        except SnapshotError as error:
            return _rejection(error)
        if self._forgets(req.operation, req.context):
            return {"outcome": "unstored", "name": snap.name, "effects": list(effects_of(snap))}
        return {"outcome": "accepted", "xml": format_snapshot(snap, self.profile.era)}

    def _forgets(self, operation: Operation, context: Context | None) -> bool:
        return (
            operation is Operation.CREATE
            and context is not None
            and Flag.NO_METADATA in context.flags
            and self.profile.no_metadata_forgets
        )

    # ------------------------------------------------------------------ levels

    def _parse(self, text: str) -> SnapshotDef:
        """Syntax level: read a complete definition as libvirt reads metadata back (memory
        follows ``<state>``), without redefine's required fields or any alignment."""
        opts = ParseOptions(era=self.profile.era, redefine=True, cookie=self.profile.cookie)
        return parse(text, opts)

    def _semantics(self, operation: Operation, text: str, context: Context) -> SnapshotDef:
        profile = self.profile
        domain = from_context(context, profile.domain_type)
        snapshots = SnapshotList()
        active = context.state is not DomainState.SHUTOFF
        for number, existing in enumerate(context.existing, start=1):
            try:
                redefine(
                    profile, domain, snapshots, existing, frozenset(),
                    active=active, persistent=context.persistent,
                )  # fmt: skip
            except SnapshotError as error:
                raise SnapshotError(
                    error.code, f"existing snapshot {number}: {error.message}"
                ) from None
        if operation is Operation.REDEFINE:
            return redefine(
                profile, domain, snapshots, text, context.flags,
                active=active, persistent=context.persistent,
            )  # fmt: skip
        make = create_planned if profile.driver is Driver.PLAN else create
        return make(
            profile, domain, snapshots, text, context.flags,
            state=context.state, persistent=context.persistent, now=int(self._clock()),
        )  # fmt: skip


plan_1_0_1 = Reference("plan-1.0.1")
libvirt_9_0_test = Reference("libvirt-9.0-test")
libvirt_9_0_qemu = Reference("libvirt-9.0-qemu")


def identify() -> Wire:
    """``identify()`` of the default profile (libvirt-9.0-qemu)."""
    return libvirt_9_0_qemu.identify()


def run(request: dict[str, Any]) -> Wire:
    """``run()`` of the default profile (libvirt-9.0-qemu)."""
    return libvirt_9_0_qemu.run(request)
