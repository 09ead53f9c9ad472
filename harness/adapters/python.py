"""``python:MODULE[:ATTR]``: an implementation in a Python module of this interpreter.

The target (the module, or the attribute ``ATTR`` of it) provides two callables speaking the
contract's wire form: ``identify() -> dict`` and ``run(request: dict) -> dict``.
Each call runs in a daemon thread with a timeout, so a hanging implementation costs one
case, not the run.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from harness.adapters.base import AdapterError, call_guarded, checked_outcome
from harness.contract import (
    ContractError,
    Errored,
    Identity,
    Outcome,
    Request,
    identity_from_wire,
    request_to_wire,
)

DEFAULT_TIMEOUT = 30.0
#: Where ``@SCRATCH@`` points for in-process implementations (nothing is created there).
PYTHON_SCRATCH = "/var/tmp/snapconform-scratch"


def resolve(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    if not module_name:
        raise AdapterError("python: needs a module, as in python:package.module[:attribute]")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise AdapterError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}") from exc
    for part in filter(None, attr.split(".")):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AdapterError(f"{module_name!r} has no attribute {attr!r}") from None
    for name in ("identify", "run"):
        if not callable(getattr(obj, name, None)):
            raise AdapterError(f"python:{target} has no callable {name}()")
    return obj


def _with_timeout(fn: Any, arg: Any, timeout: float) -> tuple[Any, Errored | None]:
    box: list[tuple[Any, Errored | None]] = []

    def work() -> None:
        box.append(call_guarded(lambda: fn() if arg is None else fn(arg), fn.__name__ + "()"))

    thread = threading.Thread(target=work, daemon=True, name="snapconform-python-impl")
    thread.start()
    thread.join(timeout)
    if not box:
        return None, Errored(f"{fn.__name__}() did not answer within {timeout:g} s")
    return box[0]


class PythonAdapter:
    kind = "python"

    def __init__(self, target: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.connectable = f"python:{target}"
        self.scratch = PYTHON_SCRATCH
        self._impl = resolve(target)
        self._timeout = timeout

    def identify(self) -> Identity:
        answer, error = _with_timeout(self._impl.identify, None, self._timeout)
        if error is not None:
            raise AdapterError(f"{self.connectable}: {error.message}")
        try:
            return identity_from_wire(answer)
        except ContractError as exc:
            raise AdapterError(
                f"{self.connectable}: identify() answer is off-contract: {exc}"
            ) from exc

    def run(self, request: Request) -> Outcome:
        answer, error = _with_timeout(self._impl.run, request_to_wire(request), self._timeout)
        if error is not None:
            return error
        return checked_outcome(answer)

    def close(self) -> None:
        close = getattr(self._impl, "close", None)
        if callable(close):
            call_guarded(close, "close()")
