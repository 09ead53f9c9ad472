"""libvirtd restarted in the middle of a run on the local daemon: the harness waits for it
(bounded), the case the outage cut is errored with a clear message, the remaining cases
run and pass, and nothing of the run is left (domains, run directory) afterwards.

Restarting the daemon affects every user of qemu:///system, so the test holds the shared
qemu lock, and restarts libvirtd the way scripts/libvirt-host starts it (by the pid file
it keeps)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.host.journal import Journal, runs_under
from tests.hostutil import QEMU, domains, qemu_lock, suite

pytestmark = [pytest.mark.needs("virsh", "qemu-img", "libvirtd"), pytest.mark.restarts_daemon]
PIDFILE = Path(os.environ.get("SNAPCONFORM_HOST_STATE", "/var/run/snapconform-host")) / (
    "libvirtd.pid"
)


def _restart_libvirtd() -> None:
    pid = int(PIDFILE.read_text().strip())
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("libvirtd did not stop")
    subprocess.run(["libvirtd", "-d", "-p", str(PIDFILE)], check=True, timeout=30)


def test_a_run_survives_a_libvirtd_restart(tmp_path: Path) -> None:
    assert PIDFILE.is_file(), f"{PIDFILE} missing: start libvirtd with scripts/libvirt-host up"
    with qemu_lock():
        before = domains(QEMU)
        proc = suite(f"virsh:{QEMU}", tmp_path, "-k", "table-running", SNAPCONFORM_ALLOW_HOST="1")
        deadline = time.monotonic() + 120
        while not any(Journal(r.journal.path).live_domains() for r in runs_under(tmp_path)):
            assert proc.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        time.sleep(2)
        _restart_libvirtd()
        out, _ = proc.communicate(timeout=900)
        summary = [line for line in out.splitlines() if " passed" in line or " failed" in line]
        assert summary, out
        failed = [line for line in out.splitlines() if line.startswith("FAILED")]
        # at most the case or two the outage cut, and those as errors of the session
        assert len(failed) <= 2, out[-4000:]
        assert " passed" in summary[-1], out[-4000:]
        assert list(tmp_path.iterdir()) == [], out[-4000:]
        assert domains(QEMU) - before == set() or all(
            not d.startswith("snapconform-r") for d in domains(QEMU) - before
        )
