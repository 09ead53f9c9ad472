"""The OpenAPI 3.1 document of the HTTP contract: the one source of its HTTP form.

The server serves it at ``/openapi.json`` and validates incoming requests against its
``Request`` schema; ``docs/openapi.json`` is a copy generated from it
(``python -m harness.http.openapi --write docs/openapi.json``; a test keeps them equal).
Enumerations come from :mod:`harness.contract`, so the typed contract, the python: wire form
and this document cannot drift apart.
"""

from __future__ import annotations

import argparse
import enum
import json
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from harness.contract import (
    CONTRACT_VERSION,
    ConformanceClass,
    DomainState,
    Flag,
    Level,
    Operation,
    RejectionKind,
)
from harness.http import (
    HOST_PATHS,
    IDENTIFY_PATH,
    JSON_TYPE,
    MAX_BODY_BYTES,
    OPENAPI_PATH,
    RUN_PATH,
)

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _enum(values: type[enum.StrEnum], description: str) -> Schema:
    return {"type": "string", "enum": [str(v) for v in values], "description": description}


def _nullable_string(description: str) -> Schema:
    return {"type": ["string", "null"], "description": description}


def _json(schema: Schema) -> Schema:
    return {"content": {JSON_TYPE: {"schema": schema}}}


def _error(description: str) -> Schema:
    return {"description": description} | _json(_ref("Error"))


def _schemas() -> dict[str, Schema]:
    level = _enum(Level, "conformance level")
    operation = _enum(Operation, "what to do with the document")
    contract = {"type": "string", "const": CONTRACT_VERSION, "description": "contract version"}
    return {
        "Identity": {
            "type": "object",
            "description": "Who the implementation is and what it supports.",
            "required": ["contract", "name", "version", "levels", "operations"],
            "properties": {
                "contract": contract,
                "name": {"type": "string"},
                "version": {"type": "string"},
                "levels": {"type": "array", "items": level, "uniqueItems": True},
                "operations": {"type": "array", "items": operation, "uniqueItems": True},
                "classes": {
                    "type": "array",
                    "items": _enum(ConformanceClass, "conformance class claimed"),
                    "uniqueItems": True,
                    "description": "conformance classes claimed (default: each level's "
                    "strictest class; docs/contract.md)",
                },
                "profile": _nullable_string("corpus profile to judge by, if the endpoint knows"),
                "details": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "free-form facts matched against profiles' identity patterns",
                },
                "scratch": {
                    "type": "string",
                    "description": "HTTP only: the absolute path @SCRATCH@ stands for on the "
                    "endpoint's side (default /var/tmp/snapconform-scratch)",
                },
            },
        },
        "Disk": {
            "type": "object",
            "description": "One disk of the domain a semantics or host request runs against.",
            "required": ["target"],
            "properties": {
                "target": {"type": "string"},
                "source": _nullable_string("image path"),
                "format": _nullable_string("image format (default qcow2)"),
                "device": _nullable_string("disk, cdrom, ... (default disk)"),
                "bus": _nullable_string("virtio, sata, ... (default virtio)"),
                "type": _nullable_string("file, block, ... (default file)"),
                "readonly": {"type": "boolean"},
                "snapshot": _nullable_string("the domain-level <disk snapshot=...>"),
            },
        },
        "Context": {
            "type": "object",
            "description": "Where a semantics or host request runs.",
            "required": ["state"],
            "properties": {
                "state": _enum(DomainState, "domain state"),
                "flags": {"type": "array", "items": _enum(Flag, "creation flag (virsh spelling)")},
                "persistent": {"type": "boolean"},
                "disks": {"type": "array", "items": _ref("Disk")},
                "existing": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "snapshot documents redefined, in order, before the request",
                },
                "uuid": _nullable_string("the domain's UUID (documents embedding <domain>)"),
            },
        },
        "Request": {
            "type": "object",
            "description": "One request: the contract's run() argument, as the python: form. "
            "Unknown fields are ignored (a reader of contract v1 accepts additions to it).",
            "required": ["contract", "level", "operation", "xml"],
            "properties": {
                "contract": contract,
                "level": level,
                "operation": operation,
                "xml": {"type": "string", "description": "the snapshot document"},
                "context": {"anyOf": [_ref("Context"), {"type": "null"}]},
            },
        },
        "Accepted": {
            "type": "object",
            "required": ["outcome", "xml"],
            "properties": {
                "outcome": {"const": "accepted"},
                "xml": {
                    "type": "string",
                    "description": "the document as the implementation "
                    "formats (syntax) or would store (semantics) it",
                },
                "views": {
                    "type": "array",
                    "description": "other views of the same stored definition (e.g. the "
                    "current snapshot, the listing); each must agree with xml",
                    "items": {
                        "type": "object",
                        "required": ["source"],
                        "properties": {
                            "source": {"type": "string"},
                            "name": _nullable_string("the name this view shows"),
                            "xml": _nullable_string("the document this view shows"),
                        },
                    },
                },
            },
        },
        "Unstored": {
            "type": "object",
            "description": "carried out, but no definition kept to read back "
            "(libvirt's --no-metadata)",
            "required": ["outcome"],
            "properties": {
                "outcome": {"const": "unstored"},
                "name": _nullable_string("the snapshot's name, if the implementation said it"),
                "effects": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "what the request did instead, one fact each",
                },
                "detail": _nullable_string("why nothing can be read back"),
            },
        },
        "Rejected": {
            "type": "object",
            "required": ["outcome", "kind", "message"],
            "properties": {
                "outcome": {"const": "rejected"},
                "kind": _enum(
                    RejectionKind, "invalid request, or unsupported by this implementation"
                ),
                "code": _nullable_string("libvirt's virErrorNumber name, e.g. VIR_ERR_XML_ERROR"),
                "message": {"type": "string"},
            },
        },
        "Outcome": {
            "description": "The implementation's answer: accepted, unstored or rejected. A "
            "malfunction is never a 200 answer: it is an HTTP error.",
            "oneOf": [_ref("Accepted"), _ref("Unstored"), _ref("Rejected")],
            "discriminator": {
                "propertyName": "outcome",
                "mapping": {
                    "accepted": "#/components/schemas/Accepted",
                    "unstored": "#/components/schemas/Unstored",
                    "rejected": "#/components/schemas/Rejected",
                },
            },
        },
        "Error": {
            "type": "object",
            "description": "Why a request failed (any non-200 answer).",
            "required": ["error", "message"],
            "properties": {
                "error": {
                    "type": "string",
                    "description": "bad-request, unauthorized, not-found, method-not-allowed, "
                    "too-large, unsupported-media-type, errored, not-implemented",
                },
                "message": {"type": "string"},
            },
        },
    }


def _host_operation(what: str) -> Schema:
    return {
        "post": {
            "operationId": "host" + what.title(),
            "summary": f"Reserved: {what} a host-level scratch domain (later contract).",
            "description": "Host-level management is not part of contract v1; every v1 "
            "endpoint answers 501. Host-level cases themselves go through POST /v1/run.",
            "responses": {
                "501": _error("not implemented in contract v1"),
                "401": _error("missing or wrong bearer token"),
            },
        }
    }


@cache
def _document() -> str:
    doc: Schema = {
        "openapi": "3.1.0",
        "info": {
            "title": "snapconform implementation contract",
            "version": CONTRACT_VERSION,
            "description": "The snapconform implementation contract v1 over HTTP: the same "
            "identify() and run(request) as the python: wire form, as JSON with XML in "
            "strings. A rejection is a 200 answer; any HTTP error means the implementation "
            f"malfunctioned. Bodies are at most {MAX_BODY_BYTES} bytes. See docs/http.md.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "security": [{}, {"bearer": []}],
        "paths": {
            OPENAPI_PATH: {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {
                        "200": {"description": "the OpenAPI document"} | _json({"type": "object"})
                    },
                }
            },
            IDENTIFY_PATH: {
                "get": {
                    "operationId": "identify",
                    "summary": "Who the implementation is and what it supports.",
                    "responses": {
                        "200": {"description": "the identity"} | _json(_ref("Identity")),
                        "401": _error("missing or wrong bearer token"),
                        "500": _error("the implementation cannot identify itself"),
                    },
                }
            },
            RUN_PATH: {
                "post": {
                    "operationId": "run",
                    "summary": "Run one request (syntax, semantics or host level).",
                    "requestBody": {"required": True} | _json(_ref("Request")),
                    "responses": {
                        "200": {"description": "accepted or rejected"} | _json(_ref("Outcome")),
                        "400": _error("the request is not JSON or off-contract"),
                        "401": _error("missing or wrong bearer token"),
                        "413": _error(f"the request body is larger than {MAX_BODY_BYTES} bytes"),
                        "415": _error("the request body is not application/json"),
                        "500": _error("the implementation malfunctioned"),
                    },
                }
            },
            HOST_PATHS[0]: _host_operation("prepare"),
            HOST_PATHS[1]: _host_operation("cleanup"),
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "required when the server has a token "
                    "(SNAPCONFORM_HTTP_TOKEN or --token-file)",
                }
            },
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def document() -> dict[str, Any]:
    """A fresh copy of the OpenAPI document."""
    loaded: dict[str, Any] = json.loads(_document())
    return loaded


def document_text() -> str:
    """The document as it is written to ``docs/openapi.json``."""
    return _document()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print or write the HTTP contract's OpenAPI.")
    parser.add_argument("--write", metavar="PATH", help="write to PATH instead of stdout")
    parser.add_argument("--check", metavar="PATH", help="exit 1 if PATH differs from it")
    args = parser.parse_args(argv)
    text = document_text()
    if args.check:
        if Path(args.check).read_text(encoding="utf-8") != text:
            print(f"{args.check} is stale: python -m harness.http.openapi --write {args.check}")
            return 1
        return 0
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
