"""A small JSON-over-HTTP client for contract endpoints, bounded in every direction.

* timeouts on connecting and on every wait for bytes, and a deadline on the whole answer;
* a bounded retry on *connection* errors only (the request never left): never after a
  request may have been processed;
* TLS verification on by default, against a CA bundle if one is given;
* a bearer token, sent only as a header and redacted from every message;
* answers must be 200 ``application/json`` of at most :data:`MAX_BODY_BYTES` bytes, read
  with a bounded read. Anything else is an :class:`EndpointError` whose message fits a report.
"""

from __future__ import annotations

import json
import math
import os
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness import __version__, jsonsafe
from harness.http import CA_BUNDLE_ENV, JSON_TYPE, MAX_BODY_BYTES, TOKEN_ENV

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
#: how much of a non-200 answer's body goes into the error message
EXCERPT_CHARS = 300


class EndpointError(Exception):
    """The endpoint could not be reached or answered off-contract (message fit for a report)."""


@dataclass(frozen=True)
class ClientSettings:
    #: seconds to establish a connection (TCP and TLS)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: seconds any one wait for bytes may take, and the deadline for a whole answer body
    read_timeout: float = DEFAULT_TIMEOUT
    #: connection attempts per request (retries happen on connection errors only)
    attempts: int = 3
    #: seconds before the first retry (doubling after each)
    backoff: float = 0.2
    max_body: int = MAX_BODY_BYTES
    #: PEM file of CA certificates to verify https:// endpoints against (default: certifi's)
    ca_bundle: str | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number, not {value!r}")
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> ClientSettings:
        """Settings with the token and CA bundle from the environment; ``timeout`` is the
        read timeout (the harness's per-request ``--timeout``)."""
        env = os.environ if environ is None else environ
        read = DEFAULT_TIMEOUT if timeout is None else timeout
        return cls(
            connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, read),
            read_timeout=read,
            ca_bundle=env.get(CA_BUNDLE_ENV) or None,
            token=env.get(TOKEN_ENV) or None,
        )


def normalise_base_url(url: str) -> str:
    """``url`` without a trailing slash; :class:`ValueError` unless it is a plain
    ``http(s)://host[:port][/path]`` base URL (no credentials, query or fragment)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r}: the scheme must be http or https")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{parts.scheme}://...@{parts.hostname}: credentials do not belong in the URL "
            f"(they would end up in reports); put a bearer token in {TOKEN_ENV}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r}: a base URL has no query or fragment")
    del port  # only parsed to validate it
    return url.rstrip("/")


def _tls(ca_bundle: str | None) -> ssl.SSLContext | bool:
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot use the CA bundle {ca_bundle!r}: {exc}") from None


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class JsonClient:
    """GET and POST JSON to one endpoint; every failure is an :class:`EndpointError`."""

    def __init__(self, base_url: str, settings: ClientSettings | None = None) -> None:
        self.base_url = normalise_base_url(base_url)
        self.settings = settings or ClientSettings()
        s = self.settings
        headers = {"Accept": JSON_TYPE, "User-Agent": f"snapconform/{__version__}"}
        if s.token:
            headers["Authorization"] = f"Bearer {s.token}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            verify=_tls(s.ca_bundle),
            follow_redirects=False,
            # no proxies, netrc or SSL_CERT_FILE from the environment: what is tested, and
            # with which credentials, is what the command line and SNAPCONFORM_* say
            trust_env=False,
        )

    def get(self, path: str) -> object:
        return self._request("GET", path, None)

    def post(self, path: str, body: object) -> object:
        try:
            data = json.dumps(body, ensure_ascii=True, allow_nan=False).encode("ascii")
        except (TypeError, ValueError) as exc:
            raise EndpointError(f"POST {path}: the request cannot be sent as JSON: {exc}") from None
        return self._request("POST", path, data)

    def close(self) -> None:
        self._client.close()

    def redact(self, text: str) -> str:
        """``text`` with the token (if any) blotted out."""
        token = self.settings.token
        return text.replace(token, "[token]") if token else text

    # ------------------------------------------------------------------ internals

    def _request(self, method: str, path: str, body: bytes | None) -> object:
        what = f"{method} {path}"
        try:
            return self._attempts(method, path, body, what)
        except EndpointError as exc:
            raise EndpointError(self.redact(str(exc))) from None

    def _attempts(self, method: str, path: str, body: bytes | None, what: str) -> object:
        s = self.settings
        headers = {"Content-Type": JSON_TYPE} if body is not None else {}
        last: Exception | None = None
        for attempt in range(s.attempts):
            if attempt:
                time.sleep(s.backoff * 2 ** (attempt - 1))
            try:
                with self._client.stream(
                    method, self.base_url + path, content=body, headers=headers
                ) as response:
                    return self._answer(response, what)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if _is_tls_failure(exc):
                    raise EndpointError(
                        f"{what}: TLS handshake with {self.base_url} failed: {exc}"
                    ) from None
                last = exc  # nothing was sent: safe to try again
            except httpx.TimeoutException:
                raise EndpointError(
                    f"{what}: no answer within {s.read_timeout:g} s (read timeout)"
                ) from None
            except httpx.RemoteProtocolError as exc:
                raise EndpointError(
                    f"{what}: the endpoint broke the HTTP exchange (closed the connection or "
                    f"sent no valid HTTP answer): {exc}"
                ) from None
            except httpx.TransportError as exc:
                raise EndpointError(
                    f"{what}: the connection failed mid-request: {type(exc).__name__}: "
                    f"{exc or 'connection reset'}"
                ) from None
            except httpx.HTTPError as exc:
                raise EndpointError(f"{what}: {type(exc).__name__}: {exc}") from None
        kind = "timed out" if isinstance(last, httpx.ConnectTimeout) else "failed"
        raise EndpointError(
            f"{what}: cannot connect ({kind} {s.attempts} times): {last}; is the endpoint "
            "running, and is that its address?"
        )

    def _answer(self, response: httpx.Response, what: str) -> object:
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        if response.status_code != 200:
            raise EndpointError(f"{what}: the endpoint answered {status}{self._why(response)}")
        media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != JSON_TYPE:
            shown = response.headers.get("content-type") or "none"
            raise EndpointError(f"{what}: the answer's Content-Type is {shown!r}, not {JSON_TYPE}")
        data = self._read(response, what)
        try:
            return jsonsafe.loads(data, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EndpointError(f"{what}: the answer is not JSON: {exc}") from None

    def _read(self, response: httpx.Response, what: str, limit: int | None = None) -> bytes:
        """The body, read in chunks: never more than ``limit`` bytes, never past the deadline."""
        limit = self.settings.max_body if limit is None else limit
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise EndpointError(
                f"{what}: the answer is {declared} bytes, larger than the limit of {limit}"
            )
        deadline = time.monotonic() + self.settings.read_timeout
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise EndpointError(f"{what}: the answer is larger than the limit of {limit} bytes")
            if time.monotonic() > deadline:
                raise EndpointError(
                    f"{what}: the answer did not arrive within {self.settings.read_timeout:g} s"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _why(self, response: httpx.Response) -> str:
        """``: message`` from an error answer's body (JSON ``message`` or a text excerpt)."""
        try:
            data = self._read(response, "", limit=64 * 1024)
        except (EndpointError, httpx.HTTPError):
            return ""
        text = data.decode("utf-8", errors="replace").strip()
        try:
            body = jsonsafe.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            text = body["message"]
        text = " ".join(text.split())
        if len(text) > EXCERPT_CHARS:
            text = text[: EXCERPT_CHARS - 3] + "..."
        return f": {text}" if text else ""


__all__ = ["ClientSettings", "EndpointError", "JsonClient", "normalise_base_url"]
