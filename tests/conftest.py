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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(*names): the test needs these tools or services (tests/needs.py); "
        "skipped with the reason when one is absent",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip each test that ``@pytest.mark.needs`` something absent (tests/needs.py), with
    the reason; ``-rs`` then lists the skips under the tests' own names."""
    from tests.needs import NEEDS, missing

    for item in items:
        names = tuple(n for mark in item.iter_markers("needs") for n in mark.args)
        unknown = [n for n in names if n not in NEEDS]
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid}: unknown needs {unknown}; tests/needs.py knows " + ", ".join(NEEDS)
            )
        why = missing(names) if names else None
        if why is not None:
            item.add_marker(pytest.mark.skip(reason=why))
