"""Fake implementations that crash, hang or lie: they test the harness itself.

Each attribute is one misbehaviour, reached as ``python:impls.fake:NAME`` (with ``tests/``
on ``sys.path``).
"""

from __future__ import annotations

import threading
from typing import Any

_FOREVER = threading.Event()


def _identity(name: str, contract: str = "1") -> dict[str, Any]:
    return {
        "contract": contract,
        "name": f"fake-{name}",
        "version": "0",
        "levels": ["syntax", "semantics"],
        "operations": ["parse", "create", "redefine"],
        "profile": "alpha",
        "details": {},
    }


class Fake:
    def __init__(self, name: str, answer: Any = None, contract: str = "1") -> None:
        self.name = name
        self.answer = answer
        self.contract = contract
        self.closed = False

    def identify(self) -> dict[str, Any]:
        return _identity(self.name, self.contract)

    def run(self, request: dict[str, Any]) -> Any:
        if self.name == "crash":
            raise RuntimeError("boom")
        if self.name == "hang":
            _FOREVER.wait()
        if self.name == "echo":  # accepts every document as it came: a liar
            return {"outcome": "accepted", "xml": request["xml"]}
        return self.answer

    def close(self) -> None:
        self.closed = True


crash = Fake("crash")
hang = Fake("hang")
echo = Fake("echo")
garbage = Fake("garbage", "this is not an object")
missing_field = Fake("missing-field", {"outcome": "accepted"})
bad_outcome = Fake("bad-outcome", {"outcome": "maybe"})
bad_kind = Fake("bad-kind", {"outcome": "rejected", "kind": "nope", "message": "x"})
malformed = Fake("malformed", {"outcome": "accepted", "xml": "<domainsnapshot><name>"})
wrong_root = Fake("wrong-root", {"outcome": "accepted", "xml": "<domain/>"})
huge = Fake(
    "huge",
    {
        "outcome": "accepted",
        "xml": "<domainsnapshot>" + "x" * (5 * 1024 * 1024) + "</domainsnapshot>",
    },
)
entity = Fake(
    "entity",
    {
        "outcome": "accepted",
        "xml": '<!DOCTYPE d [<!ENTITY a "aaaa">]><domainsnapshot>&a;&a;</domainsnapshot>',
    },
)
reject_all = Fake(
    "reject-all",
    {"outcome": "rejected", "kind": "invalid", "code": "VIR_ERR_XML_ERROR", "message": "no"},
)
old_contract = Fake("old-contract", contract="0")
