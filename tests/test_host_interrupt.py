"""A run interrupted by SIGINT / SIGTERM cleans up after itself; one killed with SIGKILL
leaves a journal that ``snapconform cleanup`` replays. Nothing of the run is left after."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.host.journal import Journal, runs_under
from tests.hostutil import (
    QEMU,
    REPO,
    TEST,
    domains,
    our_inventory,
    qemu_lock,
    suite,
    suite_env,
)

pytestmark = pytest.mark.needs("virsh", "qemu-img")
URIS = [
    pytest.param(TEST, id="test"),
    pytest.param(
        QEMU,
        id="qemu",
        marks=pytest.mark.needs("libvirtd"),
    ),
]


def _wait_for_a_domain(root: Path, proc: subprocess.Popen[str], timeout: float = 60) -> str:
    """Wait until the run has journaled a domain; the run id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run in runs_under(root):
            if Journal(run.journal.path).live_domains():
                return run.run_id
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the run ended before it could be interrupted:\n{out}")
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the run never created a domain")


def _run_domains(uri: str, run_id: str) -> set[str]:
    if uri == TEST:
        return set()  # the test driver's domains live inside the (gone) virsh process
    return {d for d in domains(uri) if d.startswith(f"snapconform-{run_id}-")}


def _cleanup(uri: str, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "cleanup",
            "--uri",
            uri,
            "--scratch-root",
            str(root),
            *extra,
        ],
        cwd=REPO,
        env=suite_env(root),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("uri", URIS)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_cleans_up(uri: str, signum: int, tmp_path: Path) -> None:
    with qemu_lock():
        before = our_inventory(uri, tmp_path)
        proc = suite(f"virsh:{uri}", tmp_path, SNAPCONFORM_ALLOW_HOST="1")
        run_id = _wait_for_a_domain(tmp_path, proc)
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode != 0, out
        assert list(tmp_path.iterdir()) == [], out
        assert _run_domains(uri, run_id) == set()
        # domains with their snapshots, pools, volumes, files, QEMU processes: as before
        assert our_inventory(uri, tmp_path) == before


@pytest.mark.leaves_dead_runs
@pytest.mark.parametrize("uri", URIS)
def test_a_killed_run_is_cleaned_up_by_snapconform_cleanup(uri: str, tmp_path: Path) -> None:
    with qemu_lock():
        before = our_inventory(uri, tmp_path)
        proc = suite(f"virsh:{uri}", tmp_path, SNAPCONFORM_ALLOW_HOST="1")
        run_id = _wait_for_a_domain(tmp_path, proc)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert (tmp_path / run_id / "journal.jsonl").exists()
        left = _run_domains(uri, run_id)
        if uri == QEMU:
            assert left, "a killed qemu run leaves its domain (that is what cleanup is for)"

        # a new run refuses to start, and says how to clean up
        again = suite(
            f"virsh:{uri}", tmp_path, "-k", "sem-mem-omit-running", SNAPCONFORM_ALLOW_HOST="1"
        )
        out, _ = again.communicate(timeout=120)
        assert again.returncode != 0
        assert "snapconform cleanup --uri" in out

        # a dry run names each domain once (it used to name a journaled one twice)
        dry = _cleanup(uri, tmp_path, "--dry-run")
        assert dry.returncode == 0, dry.stdout + dry.stderr
        named = [line for line in dry.stdout.splitlines() if "would remove domain" in line]
        for name in left:
            assert sum(name in line for line in named) == 1, dry.stdout
        assert _run_domains(uri, run_id) == left, "a dry run removes nothing"

        done = _cleanup(uri, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "removed:" in done.stdout
        assert list(tmp_path.iterdir()) == []
        assert _run_domains(uri, run_id) == set()
        again = _cleanup(uri, tmp_path)
        assert "nothing to clean up" in again.stdout
        assert our_inventory(uri, tmp_path) == before
