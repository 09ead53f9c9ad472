from __future__ import annotations

import pytest

from harness.contract import (
    ERROR_CODE_KINDS,
    Accepted,
    Context,
    ContractError,
    DiskSpec,
    DomainState,
    Errored,
    Flag,
    Identity,
    Level,
    Operation,
    Rejected,
    RejectionKind,
    Request,
    identity_from_wire,
    identity_to_wire,
    outcome_from_wire,
    outcome_to_wire,
    rejected,
    request_from_wire,
    request_to_wire,
)


def test_request_round_trip() -> None:
    req = Request(
        Level.SEMANTICS,
        Operation.CREATE,
        "<domainsnapshot/>",
        Context(
            DomainState.RUNNING,
            frozenset({Flag.DISK_ONLY}),
            (DiskSpec("vda", "/s/vda.qcow2"), DiskSpec("hdc", None, "raw", "cdrom", "ide")),
            ("<domainsnapshot><name>e</name></domainsnapshot>",),
        ),
    )
    wire = request_to_wire(req)
    assert wire["contract"] == "1"
    assert request_from_wire(wire) == req


def test_identity_round_trip() -> None:
    ident = Identity("x", "1", frozenset({Level.SYNTAX}), frozenset({Operation.PARSE}))
    assert identity_from_wire(identity_to_wire(ident)) == ident


@pytest.mark.parametrize(
    "outcome",
    [Accepted("<domainsnapshot/>"), Rejected(RejectionKind.UNSUPPORTED, "m", "VIR_ERR_NO_SUPPORT")],
)
def test_outcome_round_trip(outcome: Accepted | Rejected) -> None:
    assert outcome_from_wire(outcome_to_wire(outcome)) == outcome


def test_errored_is_not_a_valid_answer() -> None:
    with pytest.raises(ContractError):
        outcome_from_wire(outcome_to_wire(Errored("x")))


@pytest.mark.parametrize(
    "wire",
    [
        {"level": "syntax", "operation": "parse"},
        {"level": "nope", "operation": "parse", "xml": ""},
        {"level": "semantics", "operation": "create", "xml": "", "context": {"state": "asleep"}},
        {
            "level": "semantics",
            "operation": "create",
            "xml": "",
            "context": {"state": "running", "flags": ["x"]},
        },
        [],
    ],
)
def test_bad_requests(wire: object) -> None:
    with pytest.raises(ContractError):
        request_from_wire(wire)


def test_error_codes_map_to_kinds() -> None:
    assert ERROR_CODE_KINDS["VIR_ERR_XML_ERROR"] is RejectionKind.INVALID
    assert ERROR_CODE_KINDS["VIR_ERR_CONFIG_UNSUPPORTED"] is RejectionKind.UNSUPPORTED
    assert rejected("VIR_ERR_OPERATION_UNSUPPORTED", "m")["kind"] == "unsupported"
    with pytest.raises(ContractError):
        rejected("VIR_ERR_MADE_UP", "m")
