"""The http:// adapter turns every misbehaviour of an endpoint into Errored (or, for
identify, AdapterError), promptly, with a clear message and without the token."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from harness.adapters.base import AdapterError
from harness.adapters.http import HttpAdapter
from harness.connectables import KINDS, connect
from harness.contract import Accepted, Errored, Level, Operation, Rejected, Request
from harness.http import CA_BUNDLE_ENV, TOKEN_ENV
from harness.http.client import ClientSettings, normalise_base_url
from tests.impls.fake_http import GOOD_XML, FakeEndpoint, make_certificate, server_tls
from tests.needs import require

REQ = Request(Level.SYNTAX, Operation.PARSE, "<domainsnapshot><name>a</name></domainsnapshot>")
TOKEN = "tok-3f9a1c-do-not-leak"
FAST = ClientSettings(connect_timeout=1.0, read_timeout=0.5, attempts=3, backoff=0.05, token=TOKEN)


def adapter(url: str, settings: ClientSettings = FAST) -> HttpAdapter:
    return HttpAdapter(url, settings=settings)


def run_against(behaviour: str) -> tuple[Errored | Accepted | Rejected, FakeEndpoint, float]:
    with FakeEndpoint(run=behaviour) as endpoint:
        http = adapter(endpoint.url)
        started = time.monotonic()
        outcome = http.run(REQ)
        elapsed = time.monotonic() - started
        http.close()
    return outcome, endpoint, elapsed


@pytest.mark.parametrize(
    ("behaviour", "needle"),
    [
        ("garbage", "the answer is not JSON"),
        ("html", "Content-Type is 'text/html; charset=utf-8', not application/json"),
        ("no-type", "Content-Type is 'none'"),
        ("array", "run must answer an object, got list"),
        ("wrong-types", "field 'xml' must be a string, got int"),
        ("missing", "field 'message' must be a string"),
        ("nan", "the answer is not JSON: NaN is not JSON"),
        ("errored-200", "field 'outcome' must be 'accepted', 'unstored' or 'rejected'"),
        ("500", "answered HTTP 500 Internal Server Error: database on fire"),
        ("404", "answered HTTP 404 Not Found: no such thing"),
        ("redirect", "answered HTTP 302 Found"),
        ("slow", "no answer within 0.5 s (read timeout)"),
        ("never", "no answer within 0.5 s (read timeout)"),
        ("reset", "POST /v1/run: "),
        ("close", "broke the HTTP exchange"),
        ("huge", "is 9437184 bytes, larger than the limit of 8388608"),
        ("huge-stream", "larger than the limit of 8388608 bytes"),
        ("drip", "did not arrive within 0.5 s"),
    ],
)
def test_misbehaviour_is_errored(behaviour: str, needle: str) -> None:
    outcome, endpoint, elapsed = run_against(behaviour)
    assert isinstance(outcome, Errored), outcome
    assert needle in outcome.message
    assert outcome.message.startswith("POST /v1/run")
    assert elapsed < 3.0, f"{behaviour} took {elapsed:.1f} s"
    # a request that reached the endpoint is never sent twice
    assert endpoint.hits["/v1/run"] == 1


def test_reset_is_reported_as_such() -> None:
    outcome, _, _ = run_against("reset")
    assert isinstance(outcome, Errored)
    assert "reset" in outcome.message.lower() or "broke the HTTP exchange" in outcome.message


def test_good_answer_passes_through_and_sends_the_token() -> None:
    outcome, endpoint, _ = run_against("good")
    assert outcome == Accepted(GOOD_XML)
    assert endpoint.authorizations == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize("behaviour", ["echo-auth", "echo-auth-200"])
def test_token_echoed_by_the_endpoint_is_redacted(behaviour: str) -> None:
    outcome, _, _ = run_against(behaviour)
    assert isinstance(outcome, Errored | Rejected)
    assert TOKEN not in repr(outcome)
    assert "[token]" in repr(outcome)


def test_no_token_no_header() -> None:
    with FakeEndpoint() as endpoint:
        http = adapter(endpoint.url, ClientSettings(read_timeout=1.0))
        assert http.run(REQ) == Accepted(GOOD_XML)
    assert endpoint.authorizations == [None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_connection_refused_is_retried_then_errored() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    outcome = adapter(url).run(REQ)
    assert isinstance(outcome, Errored)
    assert "cannot connect (failed 3 times)" in outcome.message
    assert time.monotonic() - started < 3.0


def test_connection_error_is_retried_until_the_endpoint_listens() -> None:
    """Refused twice (bound, not listening), then it listens and answers: one good outcome."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    requests: list[bytes] = []

    def listen_late() -> None:
        time.sleep(0.08)
        sock.listen(1)
        sock.settimeout(5)
        conn, _ = sock.accept()
        with conn:
            requests.append(conn.recv(65536))
            body = b'{"outcome": "rejected", "kind": "invalid", "message": "late"}'
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )

    thread = threading.Thread(target=listen_late, daemon=True)
    thread.start()
    try:
        slow_backoff = ClientSettings(read_timeout=2.0, attempts=4, backoff=0.05)
        outcome = adapter(url, slow_backoff).run(REQ)
    finally:
        thread.join(5)
        sock.close()
    assert isinstance(outcome, Rejected) and outcome.message == "late"
    assert len(requests) == 1


# --------------------------------------------------------------------------- identify


def test_identify_and_scratch() -> None:
    with FakeEndpoint() as endpoint:
        http = adapter(endpoint.url)
        identity = http.identify()
    assert identity.name == "fake-http"
    assert identity.supports(Level.SYNTAX, Operation.PARSE)
    assert http.scratch == "/var/tmp/snapconform-scratch"
    assert http.connectable == endpoint.url


@pytest.mark.parametrize(
    ("behaviour", "needle"),
    [
        ("garbage", "identify failed: GET /v1/identify: the answer is not JSON"),
        ("500", "identify failed: GET /v1/identify: the endpoint answered HTTP 500"),
        ("never", "no answer within 0.5 s"),
        ("reset", "identify failed: GET /v1/identify"),
        ("old-contract", "speaks contract '0'"),
        ("identity-wrong-types", "off-contract: field 'name' must be a string"),
        ("bad-scratch", "field 'scratch' must be an absolute path"),
        ("echo-auth", "[token]"),
    ],
)
def test_identify_failures_raise_adapter_error(behaviour: str, needle: str) -> None:
    with FakeEndpoint(identify=behaviour) as endpoint, pytest.raises(AdapterError) as info:
        adapter(endpoint.url).identify()
    assert needle in str(info.value)
    assert TOKEN not in str(info.value)


def test_identify_unreachable() -> None:
    with pytest.raises(AdapterError, match="cannot connect"):
        adapter(f"http://127.0.0.1:{_free_port()}").identify()


# --------------------------------------------------------------------------- connectables


def test_connect_knows_http_and_https() -> None:
    assert {"http", "https"} <= set(KINDS)
    http = connect("http://127.0.0.1:9/", timeout=2.0)
    assert isinstance(http, HttpAdapter)
    assert http.connectable == "http://127.0.0.1:9"
    http.close()


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        (f"http://user:{TOKEN}@127.0.0.1:9", "credentials do not belong in the URL"),
        ("http://127.0.0.1:9/?token=x", "no query or fragment"),
        ("http://", "has no host"),
        ("http://127.0.0.1:99999", "not a valid URL"),
    ],
)
def test_bad_urls(url: str, needle: str) -> None:
    with pytest.raises(AdapterError, match=needle) as info:
        connect(url)
    assert TOKEN not in str(info.value)


def test_normalise_keeps_a_path_prefix() -> None:
    assert normalise_base_url("https://example.test/snap/") == "https://example.test/snap"


def test_settings_from_env() -> None:
    env = {TOKEN_ENV: "t", CA_BUNDLE_ENV: "/nonexistent/ca.pem"}
    settings = ClientSettings.from_env(env, timeout=2.0)
    assert settings.token == "t" and settings.read_timeout == 2.0
    assert settings.connect_timeout == 2.0
    with pytest.raises(AdapterError, match="cannot use the CA bundle"):
        HttpAdapter("https://127.0.0.1:9", environ=env)
    with pytest.raises(ValueError, match="read_timeout must be a positive number"):
        ClientSettings(read_timeout=0)


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    require("openssl")
    made = make_certificate(tmp_path_factory.mktemp("tls"))
    assert made is not None
    return made


def test_tls_is_verified_by_default(certificate: tuple[Path, Path]) -> None:
    with FakeEndpoint(tls=server_tls(*certificate)) as endpoint:
        assert endpoint.url.startswith("https://")
        with pytest.raises(
            AdapterError, match=r"TLS handshake .* failed.*CERTIFICATE_VERIFY_FAILED"
        ):
            adapter(endpoint.url).identify()
        assert isinstance(adapter(endpoint.url).run(REQ), Errored)


def test_tls_with_a_ca_bundle(certificate: tuple[Path, Path]) -> None:
    cert, _ = certificate
    with FakeEndpoint(tls=server_tls(*certificate)) as endpoint:
        http = HttpAdapter(endpoint.url, environ={CA_BUNDLE_ENV: str(cert)}, timeout=2.0)
        assert http.identify().name == "fake-http"
        assert http.run(REQ) == Accepted(GOOD_XML)
