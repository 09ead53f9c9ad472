"""The server: any adapter behind the contract, requests validated, errors as JSON."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette would rather have httpx2; httpx works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from harness import cli
from harness.adapters.python import PythonAdapter
from harness.contract import Errored, Identity, Level, Operation, Outcome, Request
from harness.http import MAX_BODY_BYTES, TOKEN_ENV
from harness.http.openapi import document
from harness.http.serve import ServeError, check_bind, is_loopback, resolve_token
from harness.http.server import create_app

GOOD = {
    "contract": "1",
    "level": "syntax",
    "operation": "parse",
    "xml": "<domainsnapshot><name>a</name></domainsnapshot>",
}
SEMANTICS = GOOD | {
    "level": "semantics",
    "operation": "create",
    "context": {
        "state": "running",
        "flags": ["disk-only"],
        "persistent": True,
        "disks": [{"target": "vda", "source": "/x.qcow2", "format": "qcow2", "device": "disk",
                   "bus": "virtio", "type": "file", "readonly": False, "snapshot": None}],
        "existing": [],
    },
}  # fmt: skip


def client_for(name: str, token: str | None = None) -> TestClient:
    return TestClient(
        create_app(PythonAdapter(f"tests.impls.fake:{name}", timeout=2.0), token=token)
    )


@pytest.fixture
def echo() -> Iterator[TestClient]:
    with client_for("echo") as client:
        yield client


def test_openapi_is_served(echo: TestClient) -> None:
    answer = echo.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == document()


def test_identify(echo: TestClient) -> None:
    answer = echo.get("/v1/identify")
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "fake-echo" and body["contract"] == "1"
    assert body["scratch"] == "/var/tmp/snapconform-scratch"


@pytest.mark.parametrize(
    "request_body",
    [GOOD, SEMANTICS, SEMANTICS | {"context": None}, GOOD | {"later-addition": [1]}],
)
def test_run_accepted(echo: TestClient, request_body: dict[str, object]) -> None:
    answer = echo.post("/v1/run", json=request_body)
    assert answer.status_code == 200
    assert answer.json() == {"outcome": "accepted", "xml": GOOD["xml"]}


def test_run_rejected_is_a_200() -> None:
    with client_for("reject_all") as client:
        answer = client.post("/v1/run", json=GOOD)
    assert answer.status_code == 200
    assert answer.json() == {
        "outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR", "message": "no"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "needle"),
    [("crash", "run() raised RuntimeError: boom"), ("garbage", "run must answer an object")],
)
def test_errored_is_a_500(name: str, needle: str) -> None:
    with client_for(name) as client:
        answer = client.post("/v1/run", json=GOOD)
    assert answer.status_code == 500
    assert answer.json()["error"] == "errored"
    assert needle in answer.json()["message"]


class Raising:
    connectable = "test:raising"
    scratch = "/srv/scratch"

    def identify(self) -> Identity:
        return Identity("raising", "0", frozenset(Level), frozenset(Operation))

    def run(self, request: Request) -> Outcome:
        raise RuntimeError("adapter bug")

    def close(self) -> None:
        pass


def test_an_adapter_that_raises_is_a_500() -> None:
    with TestClient(create_app(Raising())) as client:
        assert client.get("/v1/identify").json()["scratch"] == "/srv/scratch"
        answer = client.post("/v1/run", json=GOOD)
    assert answer.status_code == 500
    assert "the adapter raised RuntimeError: adapter bug" in answer.json()["message"]


def test_identify_failure_is_a_500() -> None:
    with client_for("old_contract") as client:
        answer = client.get("/v1/identify")
    assert answer.status_code == 500
    assert "speaks contract '0'" in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\xfa", "not JSON"),
        (b"[]", "off-contract at /: [] is not of type 'object'"),
        (json.dumps(GOOD | {"contract": "2"}).encode(), "off-contract at /contract"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "xml"}).encode(), "'xml' is a required"),
        (json.dumps(GOOD | {"level": "galaxy"}).encode(), "off-contract at /level"),
        (json.dumps(GOOD | {"xml": 5}).encode(), "off-contract at /xml"),
        (json.dumps(SEMANTICS | {"context": {"flags": []}}).encode(), "'state' is a required"),
    ],
)
def test_bad_requests_are_400(echo: TestClient, body: bytes, needle: str) -> None:
    answer = echo.post("/v1/run", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad-request"
    assert needle in answer.json()["message"]


def test_wrong_content_type_is_415(echo: TestClient) -> None:
    answer = echo.post("/v1/run", content=json.dumps(GOOD), headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json()["error"] == "unsupported-media-type"


def test_oversized_request_is_413(echo: TestClient) -> None:
    big = json.dumps(GOOD | {"xml": "x" * MAX_BODY_BYTES})
    answer = echo.post("/v1/run", content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "too-large"


def test_oversized_streamed_request_is_413(echo: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(9):
            yield b" " * (1024 * 1024)

    answer = echo.post("/v1/run", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


def test_unknown_paths_and_methods_are_json(echo: TestClient) -> None:
    missing = echo.get("/v2/identify")
    assert missing.status_code == 404 and missing.json()["error"] == "not-found"
    wrong = echo.get("/v1/run")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method-not-allowed"
    assert wrong.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/v1/host/prepare", "/v1/host/cleanup"])
def test_host_operations_are_reserved(echo: TestClient, path: str) -> None:
    answer = echo.post(path)
    assert answer.status_code == 501
    assert answer.json()["error"] == "not-implemented"


# --------------------------------------------------------------------------- tokens

SECRET = "s3cret-token-value"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({"Authorization": f"Basic {SECRET}"}, 401),
        ({"Authorization": f"Bearer {SECRET}"}, 200),
        ({"Authorization": f"bearer {SECRET}"}, 200),
    ],
)
def test_token_is_required_when_set(headers: dict[str, str], status: int) -> None:
    with client_for("echo", token=SECRET) as client:
        identify = client.get("/v1/identify", headers=headers)
        run = client.post("/v1/run", json=GOOD, headers=headers)
        reserved = client.post("/v1/host/prepare", headers=headers)
        assert client.get("/openapi.json").status_code == 200  # the contract is public
    assert identify.status_code == run.status_code == status
    assert reserved.status_code == (401 if status == 401 else 501)
    if status == 401:
        assert identify.headers["www-authenticate"] == "Bearer"
        assert SECRET not in identify.text + run.text


# --------------------------------------------------------------------------- serve policy


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False),
     ("example.test", False), ("", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_needs_a_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "t")
    with pytest.raises(ServeError, match=r"refusing to listen on 0\.0\.0\.0 without a token"):
        check_bind("0.0.0.0", None)


def test_serve_refuses_non_loopback_without_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    status = cli.main(["serve", "--impl", "python:tests.impls.fake:echo", "--host", "0.0.0.0"])
    assert status == 2
    assert "refusing to listen on 0.0.0.0 without a token" in capsys.readouterr().err


def test_serve_reports_a_bad_impl(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--impl", "python:tests.impls.fake:old_contract", "--port", "0"]) == 2
    assert "speaks contract '0'" in capsys.readouterr().err


def test_resolve_token(tmp_path: Path) -> None:
    assert resolve_token(None, {}) is None
    assert resolve_token(None, {TOKEN_ENV: " abc \n"}) == "abc"
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert resolve_token(str(token_file), {TOKEN_ENV: "env"}) == "from-file"
    token_file.write_text("\n")
    with pytest.raises(ServeError, match="is empty"):
        resolve_token(str(token_file), {})
    token_file.write_text("two words")
    with pytest.raises(ServeError, match="one word"):
        resolve_token(str(token_file), {})
    with pytest.raises(ServeError, match="cannot read the token file"):
        resolve_token(str(tmp_path / "missing"), {})


def test_errored_outcome_type_is_not_a_valid_200() -> None:
    """The documented 200 answer never carries 'errored' (it is the harness's verdict)."""
    outcome = document()["components"]["schemas"]["Outcome"]
    names = {ref["$ref"].rsplit("/", 1)[1] for ref in outcome["oneOf"]}
    assert names == {"Accepted", "Unstored", "Rejected"}
    assert Errored("x").outcome == "errored"
