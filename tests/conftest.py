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
    from tests.needs import NEEDS

    for item in items:
        for mark in item.iter_markers("needs"):
            unknown = [n for n in mark.args if n not in NEEDS]
            if unknown:
                raise pytest.UsageError(
                    f"{item.nodeid}: unknown needs {unknown}; tests/needs.py knows "
                    + ", ".join(NEEDS)
                )


def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests.needs import missing

    names = tuple(n for mark in item.iter_markers("needs") for n in mark.args)
    if names:
        why = missing(names)
        if why is not None:
            pytest.skip(why)
