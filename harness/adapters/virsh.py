"""``virsh:URI``: a real libvirt through the ``virsh`` command line.

One virsh shell per adapter, fed on standard input (:mod:`harness.host.virsh_session`).
On the test driver (``test:///...``, no daemon, state inside the virsh process) every case
runs in a new virsh process, which starts from the driver's stock state. On a daemon URI the
shell lives as long as the adapter and is restarted if it dies. Scratch domains, host safety
and cleanup: :mod:`harness.host` and ``docs/host.md``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from harness.contract import Identity, Outcome, Request
from harness.host.journal import new_run_id
from harness.host.runner import HostRunner
from harness.host.safety import HostOptions
from harness.host.virsh_backend import VirshBackend
from harness.ordering import FixtureKey

DEFAULT_URI = "test:///default"


def default_uri() -> str:
    return os.environ.get("LIBVIRT_DEFAULT_URI") or DEFAULT_URI


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")


def install_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so the run's cleanup happens as on Ctrl-C."""
    main = threading.current_thread() is threading.main_thread()
    if main and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _echo(line: str) -> None:
    print(f"[dry-run] {line}", file=sys.stderr, flush=True)


class VirshAdapter:
    kind = "virsh"

    def __init__(self, uri: str, *, options: HostOptions | None = None) -> None:
        if not uri:
            uri = default_uri()
        self.options = options or HostOptions.from_env()
        self.connectable = f"virsh:{uri}"
        run_id = new_run_id()
        self.backend = VirshBackend(
            uri,
            self.options.root / run_id / "xml",
            virsh=self.options.virsh,
            timeout=self.options.timeout,
            dry_run=self.options.dry_run,
            echo=_echo,
        )
        self.runner = HostRunner(
            self.backend, self.options, name="libvirt (virsh)", run_id=run_id, echo=_echo
        )
        self.scratch = self.runner.scratch
        install_sigterm()

    def identify(self) -> Identity:
        return self.runner.identify()

    def run(self, request: Request) -> Outcome:
        return self.runner.run(request)

    def fixture_key(self, request: Request) -> FixtureKey:
        return self.runner.fixture_key(request)

    def close(self) -> None:
        self.runner.close()
