"""The python: adapter turns every misbehaviour of an implementation into Errored."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.adapters.base import AdapterError
from harness.connectables import connect
from harness.contract import Accepted, Errored, Level, Operation, Rejected, RejectionKind, Request

TESTS = str(Path(__file__).parent)


@pytest.fixture(autouse=True)
def impls_on_path() -> Iterator[None]:
    sys.path.insert(0, TESTS)
    yield
    sys.path.remove(TESTS)


REQ = Request(Level.SYNTAX, Operation.PARSE, "<domainsnapshot><name>a</name></domainsnapshot>")


def run(name: str, timeout: float = 5.0) -> object:
    return connect(f"python:impls.fake:{name}", timeout=timeout).run(REQ)


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("crash", "run() raised RuntimeError: boom"),
        ("garbage", "run must answer an object, got str"),
        ("missing_field", "field 'xml' must be a string"),
        ("bad_outcome", "field 'outcome' must be 'accepted', 'unstored' or 'rejected'"),
        ("bad_kind", "rejection kind 'nope'"),
        ("malformed", "answer XML is not well-formed"),
        ("wrong_root", "root <domain>"),
        ("huge", "larger than the limit"),
        ("entity", "DOCTYPE"),
    ],
)
def test_misbehaviour_is_errored(name: str, needle: str) -> None:
    outcome = run(name)
    assert isinstance(outcome, Errored)
    assert needle in outcome.message


def test_hang_times_out() -> None:
    started = time.monotonic()
    outcome = run("hang", timeout=0.3)
    assert isinstance(outcome, Errored)
    assert "did not answer within 0.3 s" in outcome.message
    assert time.monotonic() - started < 3


def test_good_answers_pass_through() -> None:
    assert run("echo") == Accepted(REQ.xml)
    assert run("reject_all") == Rejected(RejectionKind.INVALID, "no", "VIR_ERR_XML_ERROR")


def test_identify() -> None:
    identity = connect("python:impls.fake:echo").identify()
    assert identity.name == "fake-echo"
    assert identity.supports(Level.SYNTAX, Operation.PARSE)
    assert not identity.supports(Level.HOST, Operation.CREATE)


def test_contract_version_mismatch_is_refused() -> None:
    with pytest.raises(AdapterError, match="speaks contract '0'"):
        connect("python:impls.fake:old_contract").identify()


@pytest.mark.parametrize(
    ("connectable", "needle"),
    [
        ("nokind", "is not KIND:TARGET"),
        ("ftp:x", "unknown implementation kind 'ftp'"),
        ("python:", "needs a module"),
        ("python:no_such_module_here", "cannot import 'no_such_module_here'"),
        ("python:impls.fake:nothing", "has no attribute 'nothing'"),
        ("python:impls", "has no callable identify()"),
    ],
)
def test_bad_connectables(connectable: str, needle: str) -> None:
    with pytest.raises(AdapterError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        connect(connectable)


def test_close_is_forwarded() -> None:
    from impls import fake

    connect("python:impls.fake:echo").close()
    assert fake.echo.closed
