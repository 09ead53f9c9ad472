"""JSON from untrusted places (HTTP answers and requests, corpus and results files).

:func:`loads` is :func:`json.loads` that never lets a :class:`RecursionError` out: a document
nested too deeply for Python's parser is a :class:`json.JSONDecodeError` like any other
malformed JSON, so every caller's existing ``except ValueError`` handles it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def loads(data: str | bytes, *, parse_constant: Callable[[str], Any] | None = None) -> Any:
    try:
        if parse_constant is None:
            return json.loads(data)
        return json.loads(data, parse_constant=parse_constant)
    except RecursionError:
        raise json.JSONDecodeError("arrays or objects nested too deeply", "", 0) from None


__all__ = ["loads"]
