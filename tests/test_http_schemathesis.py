"""Property-based: the server against its own OpenAPI document (schemathesis, positive and
negative cases, bounded: 50 examples per operation, no deadline).

The served implementation is ``tests.impls.fake_http:tidy``, which never malfunctions: any 5xx
here is the server's own fault. The reserved host paths answer 501 by design.
"""

from __future__ import annotations

import warnings
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from harness.adapters.python import PythonAdapter
from harness.http.server import create_app

with warnings.catch_warnings():  # starlette would rather have httpx2; httpx works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import starlette.testclient  # noqa: F401  (schemathesis drives the app through it)

TOKEN = "schemathesis-token"

open_app = create_app(PythonAdapter("tests.impls.fake_http:tidy", timeout=5.0))
open_schema = schemathesis.openapi.from_asgi("/openapi.json", open_app)
token_app = create_app(PythonAdapter("tests.impls.fake_http:tidy", timeout=5.0), token=TOKEN)
token_schema = schemathesis.openapi.from_asgi("/openapi.json", token_app)

BOUNDED = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))


def check(case: Any, headers: dict[str, str] | None = None) -> None:
    if case.path.startswith("/v1/host/"):
        response = case.call_and_validate(headers=headers, excluded_checks=[not_a_server_error])
        expected = 501 if case.method.upper() == "POST" else 405
        assert response.status_code == expected, (case.method, response.status_code)
    else:
        case.call_and_validate(headers=headers)


@open_schema.parametrize()
@BOUNDED
def test_server_follows_its_openapi(case: Any) -> None:
    check(case)


@token_schema.parametrize()
@BOUNDED
def test_server_with_token_follows_its_openapi(case: Any) -> None:
    check(case, {"Authorization": f"Bearer {TOKEN}"})
