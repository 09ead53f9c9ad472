"""Any adapter behind the HTTP contract: a Starlette application.

:func:`create_app` wraps an :class:`~harness.contract.Adapter`. Requests are validated
(content type, a bounded body read, JSON, the OpenAPI ``Request`` schema, the typed contract)
and a bad one is a 400-family answer with a JSON :class:`Error` body. The adapter's
``Errored`` outcomes are HTTP 500: on the wire an implementation fault is never a 200.
When a token is set, every ``/v1`` path requires ``Authorization: Bearer TOKEN``.
"""

from __future__ import annotations

import hmac
import json
from functools import cache
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from harness import jsonsafe
from harness.adapters.base import AdapterError, describe_exception
from harness.contract import (
    Adapter,
    ContractError,
    Errored,
    identity_to_wire,
    outcome_to_wire,
    request_from_wire,
)
from harness.http import (
    HOST_PATHS,
    IDENTIFY_PATH,
    JSON_TYPE,
    MAX_BODY_BYTES,
    OPENAPI_PATH,
    RUN_PATH,
)
from harness.http.openapi import document, document_text

_ERROR_NAMES = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    500: "errored",
    501: "not-implemented",
}


class Refusal(Exception):
    """A request the server refuses: becomes a JSON error answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    try:
        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: escaped, still valid JSON
        data = json.dumps(body, ensure_ascii=True, allow_nan=False).encode("ascii")
    return Response(data, status_code=status, headers=headers, media_type=JSON_TYPE)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    name = _ERROR_NAMES.get(status, "error")
    return json_response({"error": name, "message": message}, status, headers)


@cache
def _request_validator() -> Any:
    components = document()["components"]
    schema = {"$ref": "#/components/schemas/Request", "components": components}
    return jsonschema.Draft202012Validator(schema)


def validate_request(body: object) -> None:
    """:class:`Refusal` (400) unless ``body`` matches the OpenAPI ``Request`` schema."""
    first = jsonschema.exceptions.best_match(_request_validator().iter_errors(body))
    if first is not None:
        where = "/" + "/".join(str(p) for p in first.absolute_path)
        message = first.message if len(first.message) <= 300 else first.message[:297] + "..."
        raise Refusal(400, f"the request is off-contract at {where}: {message}")


class Service:
    """The contract's operations over one adapter."""

    def __init__(self, adapter: Adapter, *, token: str | None, max_body: int) -> None:
        self.adapter = adapter
        self._token = token.encode("utf-8") if token else None
        self.max_body = max_body

    def check_token(self, request: HttpRequest) -> None:
        if self._token is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        good = scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8", "surrogateescape"), self._token
        )
        if not good:
            raise Refusal(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})

    async def read_json(self, request: HttpRequest) -> object:
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != JSON_TYPE:
            raise Refusal(415, f"the request body must be {JSON_TYPE}")
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body:
            raise Refusal(413, f"the request body is larger than {self.max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise Refusal(413, f"the request body is larger than {self.max_body} bytes")
            chunks.append(chunk)
        try:
            return jsonsafe.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refusal(400, f"the request body is not JSON: {exc}") from None

    async def openapi(self, request: HttpRequest) -> Response:
        return Response(document_text(), media_type=JSON_TYPE)

    async def identify(self, request: HttpRequest) -> Response:
        self.check_token(request)
        try:
            identity = await run_in_threadpool(self.adapter.identify)
        except AdapterError as exc:
            return error_response(500, f"identify failed: {exc}")
        return json_response(identity_to_wire(identity) | {"scratch": self.adapter.scratch})

    async def run(self, request: HttpRequest) -> Response:
        self.check_token(request)
        body = await self.read_json(request)
        validate_request(body)
        try:
            typed = request_from_wire(body)
        except ContractError as exc:
            raise Refusal(400, f"the request is off-contract: {exc}") from None
        try:
            outcome = await run_in_threadpool(self.adapter.run, typed)
        except Exception as exc:  # adapters should not raise; one that does malfunctioned
            outcome = Errored(f"the adapter raised {describe_exception(exc)}")
        if isinstance(outcome, Errored):
            return error_response(500, outcome.message)
        return json_response(outcome_to_wire(outcome))

    async def reserved(self, request: HttpRequest) -> Response:
        self.check_token(request)
        return error_response(
            501, f"{request.url.path} is reserved for host-level management in a later contract"
        )


async def _refused(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return error_response(exc.status, exc.message, exc.headers)


async def _http_error(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}))


async def _crashed(request: HttpRequest, exc: Exception) -> Response:
    return error_response(500, f"the server failed: {describe_exception(exc)}")


def create_app(
    adapter: Adapter, *, token: str | None = None, max_body: int = MAX_BODY_BYTES
) -> Starlette:
    """The contract over ``adapter``; with ``token``, /v1 paths need that bearer token."""
    service = Service(adapter, token=token, max_body=max_body)
    routes = [
        Route(OPENAPI_PATH, service.openapi, methods=["GET"]),
        Route(IDENTIFY_PATH, service.identify, methods=["GET"]),
        Route(RUN_PATH, service.run, methods=["POST"]),
        *(Route(path, service.reserved, methods=["POST"]) for path in HOST_PATHS),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={Refusal: _refused, HTTPException: _http_error, Exception: _crashed},
    )


__all__ = [
    "Refusal",
    "Service",
    "create_app",
    "error_response",
    "json_response",
    "validate_request",
]
