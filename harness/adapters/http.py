"""``http://HOST[:PORT][/PATH]`` and ``https://...``: an implementation behind an HTTP endpoint.

The base URL is the connectable; the endpoint speaks the contract at ``/v1/identify`` and
``/v1/run`` (``docs/http.md``, ``docs/openapi.json``). The token (``SNAPCONFORM_HTTP_TOKEN``)
and the CA bundle (``SNAPCONFORM_HTTP_CA_BUNDLE``) come from the environment, never from
the connectable, so neither reaches a report.

Every per-case fault of the endpoint (unreachable, slow, reset, non-JSON, wrong content
type, oversized, off-contract, any HTTP error) is an :class:`Errored` outcome; only
``identify()`` raises (:class:`AdapterError`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import replace

from harness.adapters.base import AdapterError, checked_outcome, describe_exception
from harness.adapters.python import PYTHON_SCRATCH
from harness.contract import (
    Accepted,
    ContractError,
    Errored,
    Identity,
    Outcome,
    Rejected,
    Request,
    Unstored,
    identity_from_wire,
    request_to_wire,
)
from harness.http import IDENTIFY_PATH, RUN_PATH
from harness.http.client import ClientSettings, EndpointError, JsonClient


class HttpAdapter:
    kind = "http"

    def __init__(
        self,
        url: str,
        *,
        timeout: float | None = None,
        environ: Mapping[str, str] | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        try:
            settings = settings or ClientSettings.from_env(environ, timeout=timeout)
            self._client = JsonClient(url, settings)
        except ValueError as exc:
            raise AdapterError(str(exc)) from None
        self.connectable = self._client.base_url
        #: replaced by the endpoint's own ``scratch`` once it has identified itself
        self.scratch = PYTHON_SCRATCH

    def identify(self) -> Identity:
        try:
            answer = self._client.get(IDENTIFY_PATH)
        except EndpointError as exc:
            raise AdapterError(f"identify failed: {exc}") from None
        try:
            identity = identity_from_wire(answer)
            self.scratch = _scratch(answer)
        except ContractError as exc:
            message = self._client.redact(str(exc))
            raise AdapterError(
                f"{self.connectable}: GET {IDENTIFY_PATH} answer is off-contract: {message}"
            ) from None
        return identity

    def run(self, request: Request) -> Outcome:
        try:
            answer = self._client.post(RUN_PATH, request_to_wire(request))
        except EndpointError as exc:
            return Errored(str(exc))
        except Exception as exc:  # never raise for the endpoint's fault
            return Errored(
                self._client.redact(f"POST {RUN_PATH} failed: {describe_exception(exc)}")
            )
        outcome = checked_outcome(answer)
        if isinstance(outcome, Errored):
            outcome = Errored(f"POST {RUN_PATH}: {outcome.message}")
        return self._redacted(outcome)

    def close(self) -> None:
        self._client.close()

    def _redacted(self, outcome: Outcome) -> Outcome:
        """The outcome with the token blotted out of its text (an endpoint might echo it)."""
        redact = self._client.redact
        if isinstance(outcome, Accepted):
            views = tuple(
                replace(v, xml=None if v.xml is None else redact(v.xml)) for v in outcome.views
            )
            return replace(outcome, xml=redact(outcome.xml), views=views)
        if isinstance(outcome, Unstored):
            return replace(
                outcome,
                effects=tuple(redact(e) for e in outcome.effects),
                detail=None if outcome.detail is None else redact(outcome.detail),
            )
        if isinstance(outcome, Rejected):
            code = None if outcome.code is None else redact(outcome.code)
            return replace(outcome, message=redact(outcome.message), code=code)
        return replace(outcome, message=redact(outcome.message))


def _scratch(answer: object) -> str:
    value = answer.get("scratch") if isinstance(answer, Mapping) else None
    if value is None:
        return PYTHON_SCRATCH
    if not isinstance(value, str) or not posixpath.isabs(value):
        raise ContractError(f"field 'scratch' must be an absolute path, got {value!r}")
    return value


__all__ = ["HttpAdapter"]
