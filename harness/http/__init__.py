"""The implementation contract over HTTP (contract v1 at ``/v1/...``).

* :mod:`harness.http.openapi` - the OpenAPI 3.1 document, the one source of the HTTP form
  (``docs/openapi.json`` is generated from it);
* :mod:`harness.http.client` - a small, bounded JSON client (timeouts, retries on connection
  errors only, TLS verification, bearer token, capped answer size);
* :mod:`harness.http.server` - any adapter behind the contract, as a Starlette application;
* :mod:`harness.http.serve` - ``snapconform serve``: that application under uvicorn (both
  installed with the ``http`` extra);
* :mod:`harness.http.suite` - ``tox -e http``: the suite against an endpoint, or against a
  server it starts itself.

The client adapter is :mod:`harness.adapters.http` (connectables ``http://`` and
``https://``). Prose: ``docs/http.md``.
"""

from __future__ import annotations

#: the path prefix of every contract operation; the contract version is part of the path
API_PREFIX = "/v1"
IDENTIFY_PATH = f"{API_PREFIX}/identify"
RUN_PATH = f"{API_PREFIX}/run"
#: host-level management operations, reserved: they answer 501 in contract v1
HOST_PATHS = (f"{API_PREFIX}/host/prepare", f"{API_PREFIX}/host/cleanup")
OPENAPI_PATH = "/openapi.json"

#: largest JSON body either side reads (a request at the server, an answer at the client)
MAX_BODY_BYTES = 8 * 1024 * 1024

#: environment: the bearer token (client sends it, server requires it when set)
TOKEN_ENV = "SNAPCONFORM_HTTP_TOKEN"
#: environment: a PEM CA bundle the client verifies https:// endpoints against
CA_BUNDLE_ENV = "SNAPCONFORM_HTTP_CA_BUNDLE"
#: environment: the endpoint ``tox -e http`` tests (it starts its own server without one)
URL_ENV = "SNAPCONFORM_HTTP_URL"

JSON_TYPE = "application/json"

__all__ = [
    "API_PREFIX",
    "CA_BUNDLE_ENV",
    "HOST_PATHS",
    "IDENTIFY_PATH",
    "JSON_TYPE",
    "MAX_BODY_BYTES",
    "OPENAPI_PATH",
    "RUN_PATH",
    "TOKEN_ENV",
    "URL_ENV",
]
