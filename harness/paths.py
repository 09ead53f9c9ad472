"""Where the harness finds its data: the corpus and the conformance suite.

From a source checkout they are the top-level ``corpus/`` and ``conformance/`` folders;
from an installed wheel they are packaged under ``harness/_data/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    checkout = _PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "_data" / name


def default_corpus() -> Path:
    return _find("corpus")


def conformance_dir() -> Path:
    return _find("conformance")


def schema_file(name: str) -> Path:
    return _PACKAGE / "schemas" / name
