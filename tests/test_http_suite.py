"""The conformance suite end to end over HTTP, in subprocesses.

* through ``http://`` against ``snapconform serve`` the suite gives the same per-case results
  as through ``python:`` directly (fakes on the mini corpus; the reference on the real corpus);
* a misbehaving endpoint makes every case an error, and the run still completes;
* the token never reaches results.json or any output;
* ``python -m harness.http.suite`` (``tox -e http``) starts, uses and stops its own server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from harness.adapters.http import HttpAdapter
from harness.http import CA_BUNDLE_ENV, TOKEN_ENV, URL_ENV
from harness.http.suite import ServedEndpoint
from harness.results import load_results
from tests.impls.fake_http import FakeEndpoint, make_certificate
from tests.needs import require

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
MINI = TESTS / "fixtures" / "corpus-mini"
TOKEN = "tok-b7e2-never-in-reports"


def environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAPCONFORM_")}
    env["PYTHONPATH"] = f"{TESTS}{os.pathsep}{REPO}"
    return env | extra


def suite(
    impl: str, report_dir: Path, *extra: str, env: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    """``python -m pytest conformance --impl IMPL --report-dir DIR -q -p no:cacheprovider``:
    exit code, results.json (empty if none was written) and the output."""
    args = [sys.executable, "-m", "pytest", str(REPO / "conformance"), "--impl", impl,
            "--report-dir", str(report_dir), "-q", "-p", "no:cacheprovider",
            "-p", "no:schemathesis", *extra]  # fmt: skip
    proc = subprocess.run(
        args, env=dict(env or environ()), capture_output=True, text=True, timeout=600,
        cwd=report_dir.parent,
    )  # fmt: skip
    runs = sorted(report_dir.iterdir()) if report_dir.exists() else []
    results = load_results(runs[-1] / "results.json") if runs else {}
    return proc.returncode, results, proc.stdout + proc.stderr


def by_id(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in results["results"]}


def answer(record: dict[str, Any]) -> tuple[object, ...]:
    """What must match beyond the status: the outcome, and a rejection's kind and code (texts
    and accepted documents carry the clock, the run's UUID and names made from the clock)."""
    actual: dict[str, Any] = record["actual"]
    return actual.get("outcome"), actual.get("kind"), actual.get("code")


def assert_same_results(direct: dict[str, Any], over_http: dict[str, Any]) -> None:
    """Same status for every case id; the same answers where not errored."""
    assert direct["footer"]["complete"] and over_http["footer"]["complete"]
    a, b = by_id(direct), by_id(over_http)
    assert {k: r["status"] for k, r in a.items()} == {k: r["status"] for k, r in b.items()}
    for case_id, record in a.items():
        if record["status"] not in ("error", "not-applicable"):
            assert answer(record) == answer(b[case_id]), case_id
    assert direct["footer"]["counts"] == over_http["footer"]["counts"]


@pytest.mark.parametrize("impl", ["impls.tiny", "impls.fake:echo", "impls.fake:crash"])
def test_http_gives_the_same_results_as_python_on_fakes(impl: str, tmp_path: Path) -> None:
    options = ("--corpus", str(MINI), "--profile", "alpha")
    code_py, direct, out_py = suite(f"python:{impl}", tmp_path / "py", *options)
    with ServedEndpoint(f"python:{impl}", env=environ()) as url:
        code_http, over_http, out_http = suite(url, tmp_path / "http", *options)
    assert direct and over_http, out_py + out_http
    assert code_py == code_http, out_http
    assert_same_results(direct, over_http)
    assert over_http["header"]["implementation"]["connectable"] == url


def test_http_gives_the_same_results_as_python_on_the_reference(tmp_path: Path) -> None:
    code_py, direct, out_py = suite("python:harness.reference", tmp_path / "py")
    with ServedEndpoint("python:harness.reference", env=environ()) as url:
        code_http, over_http, out_http = suite(url, tmp_path / "http")
    assert direct and over_http, out_py + out_http
    assert len(direct["results"]) > 3
    assert code_py == code_http
    assert_same_results(direct, over_http)


@pytest.mark.parametrize(
    ("behaviour", "needle"),
    [
        ("garbage", "POST /v1/run: the answer is not JSON"),
        ("500", "POST /v1/run: the endpoint answered HTTP 500 Internal Server Error"),
        ("never", "POST /v1/run: no answer within 1 s (read timeout)"),
        ("reset", "POST /v1/run: "),
        ("html", "not application/json"),
    ],
)
def test_misbehaving_endpoint_errors_each_case_and_the_run_goes_on(
    behaviour: str, needle: str, tmp_path: Path
) -> None:
    with FakeEndpoint(run=behaviour) as endpoint:
        code, results, out = suite(
            endpoint.url, tmp_path / "r", "--corpus", str(MINI), "--impl-timeout", "1"
        )
    assert code == 1, out
    assert results["footer"]["complete"] is True
    records = results["results"]
    assert len(records) == 3
    assert {r["status"] for r in records} == {"error"}
    for record in records:
        assert needle in record["message"]
    assert "INTERNALERROR" not in out and "Traceback" not in out


def test_unreachable_endpoint_is_a_usage_error(tmp_path: Path) -> None:
    with FakeEndpoint(identify="garbage") as endpoint:
        code, results, out = suite(endpoint.url, tmp_path / "r", "--corpus", str(MINI))
    assert code == 4  # pytest's usage error: nothing was run
    assert "identify failed: GET /v1/identify: the answer is not JSON" in out
    assert not results


def _no_token_anywhere(report_dir: Path, *outputs: str) -> None:
    for path in report_dir.rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8", errors="replace"), path
    for text in outputs:
        assert TOKEN not in text


def test_token_is_used_but_never_reported(tmp_path: Path) -> None:
    env = environ(**{TOKEN_ENV: TOKEN})
    served = ServedEndpoint("python:impls.tiny", env=env)
    with served as url:
        code, results, out = suite(url, tmp_path / "r", "--corpus", str(MINI),
                                   "--profile", "alpha", env=env)  # fmt: skip
        wrong, _, wrong_out = suite(url, tmp_path / "w", "--corpus", str(MINI),
                                    env=environ(**{TOKEN_ENV: "not-the-token"}))  # fmt: skip
        anonymous, _, anonymous_out = suite(url, tmp_path / "a", "--corpus", str(MINI))
    assert code == 0, out
    assert {r["status"] for r in results["results"]} == {"pass", "not-applicable"}
    assert wrong == anonymous == 4
    assert "HTTP 401 Unauthorized: missing or wrong bearer token" in wrong_out
    assert "not-the-token" not in wrong_out
    _no_token_anywhere(tmp_path, out, wrong_out, anonymous_out, "".join(served.output))


def test_token_echoed_by_an_endpoint_is_not_reported(tmp_path: Path) -> None:
    env = environ(**{TOKEN_ENV: TOKEN})
    with FakeEndpoint(run="echo-auth") as endpoint:
        code, results, out = suite(endpoint.url, tmp_path / "r", "--corpus", str(MINI), env=env)
    assert endpoint.authorizations[-1] == f"Bearer {TOKEN}"
    assert code == 1
    assert all("[token]" in r["message"] for r in results["results"])
    _no_token_anywhere(tmp_path, out)


def test_serve_over_tls_with_a_token_file(tmp_path: Path) -> None:
    require("openssl")
    made = make_certificate(tmp_path)
    assert made is not None
    cert, key = made
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    env = environ(**{TOKEN_ENV: TOKEN, CA_BUNDLE_ENV: str(cert)})
    args = ("--token-file", str(token_file), "--tls-cert", str(cert), "--tls-key", str(key))
    with ServedEndpoint("python:impls.tiny", args=args, env=env) as url:
        assert url.startswith("https://127.0.0.1:")
        adapter = HttpAdapter(url, environ=env, timeout=10.0)
        assert adapter.identify().name == "tiny"
        adapter.close()
        code, results, out = suite(url, tmp_path / "r", "--corpus", str(MINI),
                                   "--profile", "alpha", env=env)  # fmt: skip
    assert code == 0, out
    assert results["footer"]["counts"]["pass"] == 2
    _no_token_anywhere(tmp_path / "r", out)


def _http_suite(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "harness.http.suite", "--serve-impl", "python:impls.tiny",
            "--corpus", str(MINI), "--profile", "alpha", "--report-dir", str(tmp_path / "r"),
            "-q", "--", "-p", "no:cacheprovider", "-p", "no:schemathesis"]  # fmt: skip
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)


def test_http_suite_starts_and_stops_its_own_server(tmp_path: Path) -> None:
    proc = _http_suite(tmp_path, environ())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "http suite: serving python:impls.tiny at http://127.0.0.1:" in proc.stdout
    (run,) = (tmp_path / "r").iterdir()
    results = load_results(run / "results.json")
    assert results["header"]["implementation"]["connectable"].startswith("http://127.0.0.1:")
    assert results["footer"]["complete"] is True


def test_http_suite_uses_the_given_url(tmp_path: Path) -> None:
    with FakeEndpoint(run="500") as endpoint:
        proc = _http_suite(tmp_path, environ(**{URL_ENV: endpoint.url}))
    assert proc.returncode == 1
    assert f"http suite: testing {endpoint.url}" in proc.stdout
    (run,) = (tmp_path / "r").iterdir()
    statuses = {r["status"] for r in json.loads((run / "results.json").read_text())["results"]}
    assert statuses == {"error"}
