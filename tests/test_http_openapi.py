"""The OpenAPI document: valid, in sync with docs/openapi.json, and the same contract as the
typed one in harness.contract (every wire form the harness produces is valid under it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from harness.contract import (
    Accepted,
    Context,
    DiskSpec,
    DomainState,
    Flag,
    Identity,
    Level,
    Operation,
    Rejected,
    RejectionKind,
    Request,
    Unstored,
    View,
    identity_from_wire,
    identity_to_wire,
    outcome_from_wire,
    outcome_to_wire,
    request_from_wire,
    request_to_wire,
)
from harness.http import HOST_PATHS, IDENTIFY_PATH, OPENAPI_PATH, RUN_PATH
from harness.http.openapi import document, document_text, main
from harness.http.server import Refusal, validate_request

REPO = Path(__file__).resolve().parent.parent


def schema_validator(name: str) -> Any:
    doc = document()
    return jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    )


def test_docs_copy_is_up_to_date() -> None:
    path = REPO / "docs" / "openapi.json"
    assert path.read_text(encoding="utf-8") == document_text(), (
        "docs/openapi.json is stale: python -m harness.http.openapi --write docs/openapi.json"
    )
    assert main(["--check", str(path)]) == 0


def test_document_is_valid_openapi_31() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_paths() -> None:
    paths = document()["paths"]
    assert set(paths) == {OPENAPI_PATH, IDENTIFY_PATH, RUN_PATH, *HOST_PATHS}
    assert all(p.startswith("/v1/") for p in (IDENTIFY_PATH, RUN_PATH, *HOST_PATHS))
    assert set(paths[RUN_PATH]["post"]["responses"]) == {"200", "400", "401", "413", "415", "500"}


def test_enumerations_come_from_the_contract() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["Request"]["properties"]["level"]["enum"] == [str(v) for v in Level]
    assert schemas["Request"]["properties"]["operation"]["enum"] == [str(v) for v in Operation]
    context = schemas["Context"]["properties"]
    assert context["state"]["enum"] == [str(v) for v in DomainState]
    assert context["flags"]["items"]["enum"] == [str(v) for v in Flag]
    assert schemas["Rejected"]["properties"]["kind"]["enum"] == [str(v) for v in RejectionKind]


def properties(name: str) -> set[str]:
    return set(document()["components"]["schemas"][name]["properties"])


def test_schemas_name_exactly_the_wire_fields() -> None:
    """Fails when harness.contract's wire form gains or loses a field: follow it here."""
    context = Context(DomainState.RUNNING, disks=(DiskSpec("vda"),), uuid="u")
    wire = request_to_wire(Request(Level.SEMANTICS, Operation.CREATE, "<a/>", context))
    assert properties("Request") == set(wire)
    assert properties("Context") == set(wire["context"])
    assert properties("Disk") == set(wire["context"]["disks"][0])
    identity = Identity("x", "1", frozenset(Level), frozenset(Operation))
    assert properties("Identity") == set(identity_to_wire(identity)) | {"scratch"}
    assert properties("Accepted") == set(outcome_to_wire(Accepted("<a/>", (View("list", "s"),))))
    assert properties("Unstored") == set(outcome_to_wire(Unstored("s", ("an effect",))))
    rejection = Rejected(RejectionKind.INVALID, "m", "VIR_ERR_XML_ERROR")
    assert properties("Rejected") == set(outcome_to_wire(rejection))


disks = st.builds(
    DiskSpec,
    target=st.text(min_size=1, max_size=5),
    source=st.none() | st.text(max_size=10),
    readonly=st.booleans(),
    snapshot=st.none() | st.sampled_from(["internal", "external", "no"]),
)
contexts = st.builds(
    Context,
    state=st.sampled_from(DomainState),
    flags=st.frozensets(st.sampled_from(Flag)),
    disks=st.lists(disks, max_size=3).map(tuple),
    existing=st.lists(st.text(max_size=20), max_size=2).map(tuple),
    persistent=st.booleans(),
    uuid=st.none() | st.uuids().map(str),
)
requests = st.builds(
    Request,
    level=st.sampled_from(Level),
    operation=st.sampled_from(Operation),
    xml=st.text(max_size=50),
    context=st.none() | contexts,
)


@settings(max_examples=100, deadline=None)
@given(requests)
def test_every_request_the_harness_sends_is_valid(request: Request) -> None:
    wire = request_to_wire(request)
    validate_request(wire)  # no Refusal
    assert request_from_wire(wire) == request


@settings(max_examples=50, deadline=None)
@given(
    st.builds(Accepted, xml=st.text())
    | st.builds(
        Rejected,
        kind=st.sampled_from(RejectionKind),
        message=st.text(),
        code=st.none() | st.text(min_size=1),
    )
)
def test_every_outcome_is_valid_and_round_trips(outcome: Accepted | Rejected) -> None:
    wire = outcome_to_wire(outcome)
    schema_validator("Outcome").validate(wire)
    assert outcome_from_wire(wire) == outcome


def test_identity_is_valid() -> None:
    identity = Identity("x", "1", frozenset(Level), frozenset(Operation), profile=None)
    wire = identity_to_wire(identity) | {"scratch": "/var/tmp/x"}
    schema_validator("Identity").validate(wire)
    assert identity_from_wire(wire) == identity


@pytest.mark.parametrize(
    "wire",
    [
        {"contract": "1", "level": "syntax", "operation": "parse"},
        {"contract": "1", "level": "syntax", "operation": "parse", "xml": "<a/>", "context": 3},
        {"contract": "1", "level": "syntax", "operation": "parse", "xml": "<a/>",
         "context": {"state": "running", "disks": [{"source": "x"}]}},
        {"contract": "1", "level": "syntax", "operation": "parse", "xml": "<a/>",
         "context": {"state": "running", "flags": ["fast"]}},
    ],
)  # fmt: skip
def test_off_contract_requests_are_refused(wire: dict[str, Any]) -> None:
    with pytest.raises(Refusal) as info:
        validate_request(wire)
    assert info.value.status == 400
