"""The implementation contract, version 1.

Every adapter maps an implementation onto this contract. It is deliberately tiny:

* ``identify()`` says who the implementation is and what it can do;
* ``run(request)`` takes one :class:`Request` and gives one :class:`Outcome`.

The wire form (used by ``python:`` modules and, later, HTTP endpoints) is plain JSON-like
dicts; :func:`request_to_wire`, :func:`identity_from_wire` and :func:`outcome_from_wire`
convert between the wire and the typed objects below, and reject anything off-contract with
:class:`ContractError`. See ``docs/contract.md`` for the prose version.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias

CONTRACT_VERSION = "1"

#: Placeholder for the adapter's scratch directory in corpus paths.
SCRATCH_TOKEN = "@SCRATCH@"
#: Placeholder for the domain's UUID in corpus documents (a fresh one per request).
UUID_TOKEN = "@UUID@"


class Level(enum.StrEnum):
    """Conformance levels: what part of the behaviour a case tests."""

    SYNTAX = "syntax"
    SEMANTICS = "semantics"
    HOST = "host"


class ConformanceClass(enum.StrEnum):
    """What an implementation is judged as (docs/contract.md, "Conformance classes").

    A level says which part of the behaviour a case exercises; a class says how strictly
    the answer is judged, so that an implementation is held to exactly what it claims."""

    #: an XML model of the document: content preserved, order-insensitive where libvirt's
    #: schema interleaves, no formatter defaults demanded, any rejection is a rejection;
    #: only documents whose validity libvirt's parser and its RELAX NG schema agree on
    MODEL = "model"
    #: libvirt's own output: its element order and defaults, rejection kinds and codes
    LIBVIRT_FORMAT = "libvirt-format"
    #: the definition libvirt stores for a document on a domain (defaults, disk alignment)
    SEMANTICS = "semantics"
    #: snapshots made on a real domain, with their side effects
    HOST = "host"


#: The classes an implementation is judged in when its identity claims none: each level's
#: strictest class (what the harness demanded before classes existed).
DEFAULT_CLASSES: Mapping[Level, ConformanceClass] = {
    Level.SYNTAX: ConformanceClass.LIBVIRT_FORMAT,
    Level.SEMANTICS: ConformanceClass.SEMANTICS,
    Level.HOST: ConformanceClass.HOST,
}


class Operation(enum.StrEnum):
    """What a request asks the implementation to do with the document."""

    PARSE = "parse"  # syntax: parse the document, format it back
    CREATE = "create"  # semantics/host: create a snapshot of a domain in a state
    REDEFINE = "redefine"  # semantics/host: redefine snapshot metadata


class DomainState(enum.StrEnum):
    SHUTOFF = "shutoff"
    RUNNING = "running"
    PAUSED = "paused"


class Flag(enum.StrEnum):
    """Snapshot creation flags (virDomainSnapshotCreateFlags), by their virsh spelling."""

    DISK_ONLY = "disk-only"
    NO_METADATA = "no-metadata"
    HALT = "halt"
    REUSE_EXTERNAL = "reuse-external"
    QUIESCE = "quiesce"
    ATOMIC = "atomic"
    LIVE = "live"
    VALIDATE = "validate"
    CURRENT = "current"


class RejectionKind(enum.StrEnum):
    INVALID = "invalid"
    UNSUPPORTED = "unsupported"


#: libvirt error codes (virErrorNumber names) and the rejection kind each maps to.
#: Codes that say "the request is wrong" are ``invalid``; codes that say "this
#: implementation does not do that" are ``unsupported``.
ERROR_CODE_KINDS: Mapping[str, RejectionKind] = {
    "VIR_ERR_XML_ERROR": RejectionKind.INVALID,
    "VIR_ERR_XML_DETAIL": RejectionKind.INVALID,
    "VIR_ERR_XML_INVALID_SCHEMA": RejectionKind.INVALID,
    "VIR_ERR_INVALID_ARG": RejectionKind.INVALID,
    "VIR_ERR_OPERATION_INVALID": RejectionKind.INVALID,
    "VIR_ERR_INTERNAL_ERROR": RejectionKind.INVALID,
    "VIR_ERR_NO_DOMAIN_SNAPSHOT": RejectionKind.INVALID,
    "VIR_ERR_SYSTEM_ERROR": RejectionKind.INVALID,
    "VIR_ERR_CONFIG_UNSUPPORTED": RejectionKind.UNSUPPORTED,
    "VIR_ERR_OPERATION_UNSUPPORTED": RejectionKind.UNSUPPORTED,
    "VIR_ERR_ARGUMENT_UNSUPPORTED": RejectionKind.UNSUPPORTED,
    "VIR_ERR_NO_SUPPORT": RejectionKind.UNSUPPORTED,
}


def kind_for_code(code: str) -> RejectionKind | None:
    """The rejection kind libvirt's error ``code`` maps to, or None for an unknown code."""
    return ERROR_CODE_KINDS.get(code)


class ContractError(ValueError):
    """A value on the wire does not follow the contract."""


@dataclass(frozen=True)
class DiskSpec:
    """One disk of the domain a semantics or host request runs against."""

    target: str
    source: str | None = None
    format: str = "qcow2"
    device: str = "disk"
    bus: str = "virtio"
    type: str = "file"
    readonly: bool = False
    #: the domain-level ``<disk snapshot=...>`` attribute, if any
    snapshot: str | None = None


@dataclass(frozen=True)
class Context:
    """Where a semantics or host request runs: the domain's state, flags and disks."""

    state: DomainState
    flags: frozenset[Flag] = frozenset()
    disks: tuple[DiskSpec, ...] = ()
    #: snapshot documents redefined (in order) before the request runs
    existing: tuple[str, ...] = ()
    persistent: bool = True
    #: the domain's UUID; documents that embed a ``<domain>`` use it
    uuid: str | None = None


@dataclass(frozen=True)
class Request:
    level: Level
    operation: Operation
    xml: str
    context: Context | None = None


@dataclass(frozen=True)
class View:
    """What one more way of reading the snapshot back showed (a host has several: the
    object the create call returned, a lookup by name, the current snapshot, the list).

    ``name`` and ``xml`` are what the view showed, as far as it shows them (a list of names
    shows no XML); both None means the view does not show the snapshot at all."""

    source: str
    name: str | None = None
    xml: str | None = None


@dataclass(frozen=True)
class Accepted:
    xml: str
    #: the other views of the stored definition, each of which must agree with ``xml``
    views: tuple[View, ...] = ()
    outcome: Literal["accepted"] = "accepted"


@dataclass(frozen=True)
class Unstored:
    """The request was carried out, but no definition was kept to read back (libvirt's
    ``--no-metadata``): an outcome of its own, neither a definition nor a refusal.

    ``effects`` are what the implementation saw the request do instead (an internal
    snapshot inside an image, an overlay made the disk's source, a memory file written),
    one short fact each; an implementation that cannot observe them gives none."""

    name: str | None = None
    effects: tuple[str, ...] = ()
    detail: str | None = None
    outcome: Literal["unstored"] = "unstored"


@dataclass(frozen=True)
class Rejected:
    kind: RejectionKind
    message: str
    code: str | None = None
    outcome: Literal["rejected"] = "rejected"


@dataclass(frozen=True)
class Errored:
    """The implementation malfunctioned (never an answer the implementation chose)."""

    message: str
    outcome: Literal["errored"] = "errored"


Outcome: TypeAlias = Accepted | Unstored | Rejected | Errored


@dataclass(frozen=True)
class Identity:
    name: str
    version: str
    levels: frozenset[Level]
    operations: frozenset[Operation]
    contract: str = CONTRACT_VERSION
    profile: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    #: the conformance classes claimed; empty: each supported level's default class
    classes: frozenset[ConformanceClass] = frozenset()

    def supports(self, level: Level, operation: Operation) -> bool:
        return level in self.levels and operation in self.operations

    def claimed_classes(self) -> frozenset[ConformanceClass]:
        """The classes claimed, or the defaults of the supported levels."""
        if self.classes:
            return self.classes
        return frozenset(DEFAULT_CLASSES[level] for level in self.levels)


class Adapter(Protocol):
    """What the harness drives. Adapters never raise for an implementation's fault:
    they return :class:`Errored` instead."""

    #: the string that selected this adapter, e.g. ``python:harness.reference``
    connectable: str
    #: absolute path that ``@SCRATCH@`` stands for in this adapter's requests
    scratch: str

    def identify(self) -> Identity: ...

    def run(self, request: Request) -> Outcome: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- wire form

Wire: TypeAlias = dict[str, Any]


def context_to_wire(context: Context) -> Wire:
    return {
        "state": str(context.state),
        "flags": sorted(str(f) for f in context.flags),
        "persistent": context.persistent,
        "disks": [
            {
                "target": d.target,
                "source": d.source,
                "format": d.format,
                "device": d.device,
                "bus": d.bus,
                "type": d.type,
                "readonly": d.readonly,
                "snapshot": d.snapshot,
            }
            for d in context.disks
        ],
        "existing": list(context.existing),
        "uuid": context.uuid,
    }


def request_to_wire(request: Request) -> Wire:
    wire: Wire = {
        "contract": CONTRACT_VERSION,
        "level": str(request.level),
        "operation": str(request.operation),
        "xml": request.xml,
    }
    if request.context is not None:
        wire["context"] = context_to_wire(request.context)
    return wire


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ContractError(f"field {key!r} must be a string, got {type(value).__name__}")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    return None if obj.get(key) is None else _str(obj, key)


def _enum_list(obj: Mapping[str, Any], key: str, enum_type: type[enum.StrEnum]) -> list[str]:
    value = obj.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContractError(f"field {key!r} must be a list of strings")
    allowed = {str(m) for m in enum_type}
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ContractError(
            f"field {key!r} has unknown values {unknown}; allowed: {sorted(allowed)}"
        )
    return value


def context_from_wire(obj: object) -> Context:
    if not isinstance(obj, Mapping):
        raise ContractError("context must be an object")
    try:
        state = DomainState(_str(obj, "state"))
    except ValueError as exc:
        raise ContractError(f"bad context state: {exc}") from None
    flags = frozenset(Flag(f) for f in _enum_list({"flags": obj.get("flags", [])}, "flags", Flag))
    disks_raw = obj.get("disks", [])
    if not isinstance(disks_raw, list):
        raise ContractError("context disks must be a list")
    disks = []
    for d in disks_raw:
        if not isinstance(d, Mapping):
            raise ContractError("each context disk must be an object")
        disks.append(
            DiskSpec(
                target=_str(d, "target"),
                source=_opt_str(d, "source"),
                format=_opt_str(d, "format") or "qcow2",
                device=_opt_str(d, "device") or "disk",
                bus=_opt_str(d, "bus") or "virtio",
                type=_opt_str(d, "type") or "file",
                readonly=bool(d.get("readonly", False)),
                snapshot=_opt_str(d, "snapshot"),
            )
        )
    existing = obj.get("existing", [])
    if not isinstance(existing, list) or not all(isinstance(x, str) for x in existing):
        raise ContractError("context existing must be a list of XML strings")
    return Context(
        state=state,
        flags=flags,
        disks=tuple(disks),
        existing=tuple(existing),
        persistent=bool(obj.get("persistent", True)),
        uuid=_opt_str(obj, "uuid"),
    )


def request_from_wire(obj: object) -> Request:
    if not isinstance(obj, Mapping):
        raise ContractError("request must be an object")
    try:
        level = Level(_str(obj, "level"))
        operation = Operation(_str(obj, "operation"))
    except ValueError as exc:
        raise ContractError(str(exc)) from None
    ctx = obj.get("context")
    return Request(
        level=level,
        operation=operation,
        xml=_str(obj, "xml"),
        context=None if ctx is None else context_from_wire(ctx),
    )


def identity_from_wire(obj: object) -> Identity:
    """Typed identity from an ``identify`` answer; :class:`ContractError` if off-contract."""
    if not isinstance(obj, Mapping):
        raise ContractError(f"identify must answer an object, got {type(obj).__name__}")
    contract = _str(obj, "contract")
    if contract != CONTRACT_VERSION:
        raise ContractError(
            f"implementation speaks contract {contract!r}; this harness speaks {CONTRACT_VERSION!r}"
        )
    details_raw = obj.get("details", {})
    if not isinstance(details_raw, Mapping):
        raise ContractError("field 'details' must be an object")
    return Identity(
        name=_str(obj, "name"),
        version=_str(obj, "version"),
        levels=frozenset(Level(v) for v in _enum_list(obj, "levels", Level)),
        operations=frozenset(Operation(v) for v in _enum_list(obj, "operations", Operation)),
        contract=contract,
        profile=_opt_str(obj, "profile"),
        details={str(k): str(v) for k, v in details_raw.items()},
        classes=frozenset(
            ConformanceClass(v)
            for v in _enum_list({"classes": obj.get("classes", [])}, "classes", ConformanceClass)
        ),
    )


def identity_to_wire(identity: Identity) -> Wire:
    return {
        "contract": identity.contract,
        "name": identity.name,
        "version": identity.version,
        "levels": sorted(str(v) for v in identity.levels),
        "operations": sorted(str(v) for v in identity.operations),
        "profile": identity.profile,
        "details": dict(identity.details),
        "classes": sorted(str(c) for c in identity.classes),
    }


def _str_list(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContractError(f"field {key!r} must be a list of strings")
    return tuple(value)


def _views(obj: Mapping[str, Any]) -> tuple[View, ...]:
    raw = obj.get("views", [])
    if not isinstance(raw, list):
        raise ContractError("field 'views' must be a list")
    views = []
    for v in raw:
        if not isinstance(v, Mapping):
            raise ContractError("each view must be an object")
        views.append(View(_str(v, "source"), _opt_str(v, "name"), _opt_str(v, "xml")))
    return tuple(views)


def outcome_from_wire(obj: object) -> Accepted | Unstored | Rejected:
    """Typed outcome from a ``run`` answer; :class:`ContractError` if off-contract.

    An implementation answers ``accepted``, ``unstored`` or ``rejected``; ``errored`` is the
    harness's verdict on a malfunction and is not a valid answer.
    """
    if not isinstance(obj, Mapping):
        raise ContractError(f"run must answer an object, got {type(obj).__name__}")
    kind_of_answer = obj.get("outcome")
    if kind_of_answer == "accepted":
        return Accepted(xml=_str(obj, "xml"), views=_views(obj))
    if kind_of_answer == "unstored":
        return Unstored(
            name=_opt_str(obj, "name"),
            effects=_str_list(obj, "effects"),
            detail=_opt_str(obj, "detail"),
        )
    if kind_of_answer == "rejected":
        kind_raw = _str(obj, "kind")
        try:
            kind = RejectionKind(kind_raw)
        except ValueError:
            raise ContractError(
                f"rejection kind {kind_raw!r} is not one of {[str(k) for k in RejectionKind]}"
            ) from None
        return Rejected(kind=kind, message=_str(obj, "message"), code=_opt_str(obj, "code"))
    raise ContractError(
        f"field 'outcome' must be 'accepted', 'unstored' or 'rejected', got {kind_of_answer!r}"
    )


def outcome_to_wire(outcome: Outcome) -> Wire:
    if isinstance(outcome, Accepted):
        wire: Wire = {"outcome": "accepted", "xml": outcome.xml}
        if outcome.views:
            wire["views"] = [
                {"source": v.source, "name": v.name, "xml": v.xml} for v in outcome.views
            ]
        return wire
    if isinstance(outcome, Unstored):
        return {
            "outcome": "unstored",
            "name": outcome.name,
            "effects": list(outcome.effects),
            "detail": outcome.detail,
        }
    if isinstance(outcome, Rejected):
        return {
            "outcome": "rejected",
            "kind": str(outcome.kind),
            "code": outcome.code,
            "message": outcome.message,
        }
    return {"outcome": "errored", "message": outcome.message}


def rejected(code: str, message: str) -> Wire:
    """Wire rejection for a libvirt error ``code`` (kind derived from :data:`ERROR_CODE_KINDS`)."""
    kind = kind_for_code(code)
    if kind is None:
        raise ContractError(f"unknown libvirt error code {code!r}")
    return {"outcome": "rejected", "kind": str(kind), "code": code, "message": message}


__all__: Sequence[str] = [
    "CONTRACT_VERSION",
    "DEFAULT_CLASSES",
    "ERROR_CODE_KINDS",
    "SCRATCH_TOKEN",
    "UUID_TOKEN",
    "Accepted",
    "Adapter",
    "ConformanceClass",
    "Context",
    "ContractError",
    "DiskSpec",
    "DomainState",
    "Errored",
    "Flag",
    "Identity",
    "Level",
    "Operation",
    "Outcome",
    "Rejected",
    "RejectionKind",
    "Request",
    "Unstored",
    "View",
    "Wire",
    "context_from_wire",
    "identity_from_wire",
    "identity_to_wire",
    "kind_for_code",
    "outcome_from_wire",
    "outcome_to_wire",
    "rejected",
    "request_from_wire",
    "request_to_wire",
]
