"""Fuzz the HTTP client (hostile answers through a mock transport) and the corpus loader
(hostile case.json and XML files): every fault is an EndpointError / a listed problem."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from harness.corpus.lint import check
from harness.corpus.loader import scan
from harness.http.client import EndpointError, JsonClient
from tests.hostile import FUZZ, deep_json, hostile_bytes, json_value

FIXTURES = Path(__file__).parent / "fixtures" / "corpus-mini"

bodies = st.one_of(
    st.binary(max_size=300),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([deep_json(100_000).encode(), b"NaN", b"[1e999]", b"9" * 5000, b"\xff\xfe"]),
    hostile_bytes(),
)
headers = st.dictionaries(
    st.sampled_from(["content-type", "content-length", "x-other"]),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "text/html",
            "",
            "\u00b2",
            "5",
            "abc",
        ]
    ),
    max_size=3,
)
failures = st.sampled_from(
    [None, httpx.ReadError("reset"), httpx.RemoteProtocolError("bad"), httpx.ReadTimeout("slow")]
)


@FUZZ
@given(
    status=st.sampled_from([200, 200, 204, 301, 404, 500]), head=headers, body=bodies, fail=failures
)
# regressions: a deeply nested JSON answer escaped as RecursionError; a Content-Length of
# a non-ASCII digit escaped as ValueError
@example(
    status=200,
    head={"content-type": "application/json"},
    body=deep_json(100_000).encode(),
    fail=None,
)
@example(
    status=200,
    head={"content-type": "application/json", "content-length": "\u00b2"},
    body=b"{}",
    fail=None,
)
def test_the_http_client_survives_hostile_answers(
    status: int, head: dict[str, str], body: bytes, fail: Exception | None
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if fail is not None:
            raise fail
        return httpx.Response(
            status, headers=[(k, v.encode("utf-8")) for k, v in head.items()], content=body
        )

    client = JsonClient("http://127.0.0.1:9")
    client._client = httpx.Client(transport=httpx.MockTransport(handler))
    try:
        client.get("/v1/identify")
    except EndpointError as exc:
        assert str(exc)
    finally:
        client.close()


@FUZZ
@given(meta=st.one_of(json_value.map(json.dumps), st.just(deep_json(100_000))), xml=hostile_bytes())
@example(meta=deep_json(100_000), xml=b"<a/>")  # regression: RecursionError escaped scan()
# regressions: a case.json of `null` dropped the case silently; a non-UTF-8 input.xml
# crashed `snapconform check` with UnicodeDecodeError
@example(meta="null", xml=b"\xff<a/>")
def test_the_corpus_loader_lists_problems_of_hostile_files(meta: str, xml: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(FIXTURES, root)
        case = root / "cases" / "accepted-case"
        (case / "case.json").write_text(meta, encoding="utf-8")
        (root / "cases" / "rejected-case" / "input.xml").write_bytes(xml)
        _, problems = scan(root)
        assert any("accepted-case" in p for p in problems)
        report = check(root, use_rng=False)
        assert report.problems
