"""Progress of a long run that a person can follow: target, current case, counts, elapsed, ETA.

On a terminal (and without ``-q``) one status line is redrawn in place on stderr, at most a
few times a second, and pytest's progress dots are left out so the two do not interleave.
When stderr is not a terminal (CI logs) a plain line is printed at most once a minute, never a
carriage return. With ``-q`` nothing is shown. Works under pytest-xdist: the controller sees
every finished case.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Generator
from typing import Any, TextIO

import pytest

#: seconds between two redraws on a terminal, and between two plain lines elsewhere
TTY_INTERVAL = 0.2
LOG_INTERVAL = 60.0


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """A pytest plugin (registered on the controller only)."""

    def __init__(self, target: str, stream: TextIO | None = None, *, tty: bool | None = None):
        self.target = target
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.done = 0
        self.counts: dict[str, int] = {}
        self.session: pytest.Session | None = None
        self._last = -1e9
        self._width = 0

    # ------------------------------------------------------------------ text

    def line(self, current: str, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = now - self.started
        total = self.session.testscollected if self.session is not None else 0
        total = max(total, self.done)
        eta = "?"
        if self.done and total:
            eta = _clock(elapsed / self.done * (total - self.done))
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
        return (
            f"[{self.target}] {self.done}/{total or '?'} ({counts or 'none yet'}) "
            f"elapsed {_clock(elapsed)}, ETA {eta}; last: {current}"
        )

    def note(self, case_id: str, status: str) -> None:
        self.done += 1
        self.counts[status] = self.counts.get(status, 0) + 1
        now = time.monotonic()
        if now - self._last < (TTY_INTERVAL if self.tty else LOG_INTERVAL):
            return
        self._last = now
        text = self.line(case_id, now)
        if self.tty:
            columns = shutil.get_terminal_size((120, 20)).columns - 1
            text = text[:columns]
            self.stream.write("\r" + text.ljust(self._width) + "\r")
            self._width = len(text)
        else:  # on a line of its own, whatever pytest printed last
            self.stream.write("\n" + text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    # ------------------------------------------------------------------ hooks

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        self.started = time.monotonic()
        if not self.tty:  # a log gets its first line after a minute, not at the first case
            self._last = self.started

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> Generator[None, Any, None]:
        outcome = yield
        result = outcome.get_result()
        if self.tty and isinstance(result, tuple) and len(result) == 3:
            category, letter, word = result
            if isinstance(letter, str) and letter:  # the status line stands for the dots
                outcome.force_result((category, "", word))

    def pytest_terminal_summary(self) -> None:
        self.clear()

    def pytest_unconfigure(self) -> None:
        self.clear()


__all__ = ["Progress"]
