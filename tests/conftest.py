from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def mini_corpus(tmp_path: Path) -> Path:
    """A private copy of the mini corpus, free to break."""
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus-mini", dest)
    return dest
