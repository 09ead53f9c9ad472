from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
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
    config.addinivalue_line(
        "markers",
        "restarts_daemon: the test stops and starts the local libvirtd; it runs alone among "
        "the tests that need that daemon (xdist workers included)",
    )
    config.addinivalue_line(
        "markers",
        "leaves_dead_runs: the test leaves a dead run's domains on the local libvirtd for a "
        "while (a run killed before `snapconform cleanup`); it runs alone among the tests that "
        "need that daemon, whose runs would rightly refuse to start beside those leftovers",
    )


DAEMON_LOCK = Path("/tmp/snapconform-daemon-tests.lock")


@pytest.fixture(autouse=True)
def _daemon_share(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that need the local libvirtd share it; a test that restarts it, or leaves a
    killed run's domains on it for a while, holds it alone, so no other worker's test meets
    a daemon that is down or a run refused for leftovers that are not its own (false
    failures, both seen under -n auto)."""
    node = request.node
    alone = any(node.get_closest_marker(m) for m in ("restarts_daemon", "leaves_dead_runs"))
    needs = {n for mark in node.iter_markers("needs") for n in mark.args}
    if not alone and "libvirtd" not in needs:
        yield
        return
    with open(DAEMON_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        yield


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
