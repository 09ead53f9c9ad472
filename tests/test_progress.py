"""The progress line: what it says, and that a log gets no carriage returns."""

from __future__ import annotations

import io
from pathlib import Path

from harness.progress import Progress
from tests.test_suite import suite


class FakeSession:
    testscollected = 10


def test_line_counts_elapsed_and_eta() -> None:
    progress = Progress("virsh:qemu:///system", io.StringIO(), tty=True)
    progress.session = FakeSession()  # type: ignore[assignment]
    progress.started = 100.0
    progress.done, progress.counts = 4, {"pass": 3, "fail": 1}
    line = progress.line("sem-x", now=140.0)
    assert line.startswith("[virsh:qemu:///system] 4/10 (1 fail, 3 pass)")
    assert "elapsed 0:40" in line and "ETA 1:00" in line and "last: sem-x" in line


def test_terminal_redraws_in_place_and_a_log_does_not() -> None:
    tty = io.StringIO()
    progress = Progress("t", tty, tty=True)
    progress.note("a", "pass")
    assert tty.getvalue().startswith("\r[t] 1/1")
    log = io.StringIO()
    progress = Progress("t", log, tty=False)
    progress._last = 0.0  # as if a minute had passed since the last line
    progress.note("a", "pass")
    assert "\r" not in log.getvalue() and "[t] 1/1" in log.getvalue()


def test_quiet_run_shows_no_progress(tmp_path: Path) -> None:
    code, _, output = suite("python:harness.reference", tmp_path, "-k", "table-running")
    assert code == 0
    assert "ETA" not in output  # -q (the helper's default), and not a terminal
