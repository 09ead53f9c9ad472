"""Select an implementation with one string, ``KIND:TARGET`` (a *connectable*)."""

from __future__ import annotations

from harness.adapters.base import AdapterError
from harness.adapters.python import PythonAdapter
from harness.contract import Adapter

KINDS = {
    "python": "python:PACKAGE.MODULE[:ATTR] - an implementation in a Python module",
}

DEFAULT_CONNECTABLE = "python:harness.reference"


def connect(connectable: str, *, timeout: float | None = None) -> Adapter:
    """The adapter for ``connectable``; :class:`AdapterError` with the accepted forms if bad."""
    kind, sep, target = connectable.partition(":")
    if not sep:
        raise AdapterError(f"{connectable!r} is not KIND:TARGET; known kinds:\n  " + _forms())
    if kind == "python":
        return PythonAdapter(target) if timeout is None else PythonAdapter(target, timeout=timeout)
    raise AdapterError(f"unknown implementation kind {kind!r}; known kinds:\n  " + _forms())


def _forms() -> str:
    return "\n  ".join(KINDS.values())
