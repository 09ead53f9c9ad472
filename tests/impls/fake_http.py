"""Fake HTTP endpoints that misbehave, and a tidy implementation that never does.

:class:`FakeEndpoint` is a tiny threaded HTTP server on 127.0.0.1 (a free port): it answers
``GET /v1/identify`` and ``POST /v1/run`` each by a named behaviour (see ``BEHAVIOURS``), counts
hits per path and records the Authorization headers it saw. Hanging handlers wait on a stop
event, so leaving the ``with`` block ends them all.

``tidy`` (``python:impls.fake_http:tidy``) is a well-behaved implementation for property-based
tests of the server: it accepts well-formed ``<domainsnapshot>`` documents (answering a fixed
one) and rejects everything else, and never malfunctions.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.xmlsafe import XmlError, parse_xml

GOOD_XML = "<domainsnapshot><name>fake</name></domainsnapshot>"
IDENTITY: dict[str, Any] = {
    "contract": "1",
    "name": "fake-http",
    "version": "0",
    "levels": ["syntax", "semantics"],
    "operations": ["parse", "create", "redefine"],
    "profile": "alpha",
    "details": {},
}
#: seconds the "slow" behaviour waits before its (good) answer
SLOW_SECONDS = 3.0
OVERSIZE = 9 * 1024 * 1024

# behaviour -> (status, content type, body) for the simple ones; the rest are handled in code
SIMPLE: dict[str, tuple[int, str | None, bytes]] = {
    "garbage": (200, "application/json", b"this is not json {"),
    "html": (200, "text/html; charset=utf-8", b"<html><body>hello</body></html>"),
    "no-type": (200, None, b'{"outcome": "accepted", "xml": "<domainsnapshot/>"}'),
    "array": (200, "application/json", b"[1, 2, 3]"),
    "wrong-types": (200, "application/json", b'{"outcome": "accepted", "xml": 42}'),
    "missing": (200, "application/json", b'{"outcome": "rejected", "kind": "invalid"}'),
    "nan": (200, "application/json", b'{"outcome": "accepted", "xml": NaN}'),
    "errored-200": (200, "application/json", b'{"outcome": "errored", "message": "x"}'),
    "500": (500, "application/json", b'{"error": "errored", "message": "database on fire"}'),
    "404": (404, "text/plain", b"no such thing"),
    "old-contract": (200, "application/json", json.dumps(IDENTITY | {"contract": "0"}).encode()),
    "identity-wrong-types": (
        200,
        "application/json",
        json.dumps(IDENTITY | {"name": 7, "levels": "syntax"}).encode(),
    ),
    "bad-scratch": (200, "application/json", json.dumps(IDENTITY | {"scratch": "tmp"}).encode()),
}
CODED = ("good", "slow", "never", "reset", "close", "huge", "huge-stream", "drip", "echo-auth",
         "echo-auth-200", "redirect")  # fmt: skip
BEHAVIOURS = (*SIMPLE, *CODED)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        endpoint = self.server.endpoint
        behaviour = endpoint.behaviour_for(self.path)
        endpoint.record(self.path, self.headers.get("Authorization"))
        try:
            self._behave(behaviour)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _send(
        self, status: int, ctype: str | None, body: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _good(self) -> bytes:
        if self.path.endswith("/identify"):
            return json.dumps(IDENTITY).encode()
        return json.dumps({"outcome": "accepted", "xml": GOOD_XML}).encode()

    def _behave(self, behaviour: str) -> None:
        stop = self.server.endpoint.stop_event
        auth = self.headers.get("Authorization") or ""
        if behaviour in SIMPLE:
            self._send(*SIMPLE[behaviour])
        elif behaviour == "good":
            self._send(200, "application/json", self._good())
        elif behaviour == "slow":
            if not stop.wait(SLOW_SECONDS):
                self._send(200, "application/json", self._good())
        elif behaviour == "never":
            stop.wait()
            self.close_connection = True
        elif behaviour == "reset":  # RST instead of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
        elif behaviour == "close":  # FIN without an answer
            self.close_connection = True
        elif behaviour == "huge":  # announces 9 MiB
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(OVERSIZE))
            self.end_headers()
            self._stream(OVERSIZE)
        elif behaviour == "huge-stream":  # 9 MiB, length not announced (ends at close)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self._stream(OVERSIZE)
        elif behaviour == "drip":  # a byte at a time, never waiting long enough for a timeout
            body = self._good()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                if stop.wait(0.05):
                    return
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
        elif behaviour == "echo-auth":
            self._send(500, "text/plain", f"I saw {auth!r}".encode())
        elif behaviour == "echo-auth-200":
            answer = {"outcome": "rejected", "kind": "invalid", "message": f"I saw {auth}"}
            self._send(200, "application/json", json.dumps(answer).encode())
        elif behaviour == "redirect":
            self._send(302, "text/plain", b"", {"Location": "http://127.0.0.1:9/v1/run"})
        else:
            raise AssertionError(f"unknown behaviour {behaviour}")

    def _stream(self, size: int) -> None:
        chunk = b"[" + b"1," * 32767
        sent = 0
        while sent < size and not self.server.endpoint.stop_event.is_set():
            self.wfile.write(chunk)
            sent += len(chunk)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: FakeEndpoint

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # failed TLS handshakes and dropped clients are what these tests provoke


class FakeEndpoint:
    """``with FakeEndpoint(run="reset") as url: ...``: a misbehaving contract endpoint."""

    def __init__(
        self, run: str = "good", identify: str = "good", tls: ssl.SSLContext | None = None
    ) -> None:
        for name in (run, identify):
            if name not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {name!r}; known: {BEHAVIOURS}")
        self.behaviours = {"identify": identify, "run": run}
        self.tls = tls
        self.hits: Counter[str] = Counter()
        self.authorizations: list[str | None] = []
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.endpoint = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def behaviour_for(self, path: str) -> str:
        return self.behaviours["identify" if path.endswith("/identify") else "run"]

    def record(self, path: str, authorization: str | None) -> None:
        with self._lock:
            self.hits[path] += 1
            self.authorizations.append(authorization)

    def __enter__(self) -> FakeEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_event.set()
        self._server.shutdown()
        with contextlib.suppress(OSError):
            self._server.server_close()
        self._thread.join(5)


class Tidy:
    """Accepts well-formed <domainsnapshot> documents, rejects the rest; never errs."""

    def identify(self) -> dict[str, Any]:
        return IDENTITY | {"name": "fake-tidy"}

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            root = parse_xml(request["xml"])
        except (XmlError, ValueError) as exc:
            return {"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR",
                    "message": str(exc)}  # fmt: skip
        if root.tag != "domainsnapshot":
            return {"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR",
                    "message": f"unexpected root element <{root.tag}>"}  # fmt: skip
        return {"outcome": "accepted", "xml": GOOD_XML}


tidy = Tidy()


def make_certificate(where: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate and key for 127.0.0.1 (None without the openssl tool)."""
    if shutil.which("openssl") is None:
        return None
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
