"""A release's test driver, measured through that release's own virsh (its chroot's wrapper,
SNAPCONFORM_VIRSH): the identity names the release's libvirt and the wrapper, the release's
test profile is chosen, and cells on which the releases differ pass under it.

The test driver lives in the client library, so the host's virsh would measure the host's
9.0 test driver whatever the profile says: the 7.0 cells below fail through it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostutil import RELEASES_DIR, REPO, release_names
from tests.needs import require

BASE = RELEASES_DIR
#: cells whose answer differs between 7.0's test driver and 9.0's ('manual' memory: 7.0
#: refuses it as unsupported, 9.0 as an XML error), and a few that hold for every release
CELLS = "table-running-manual-external or table-shutoff-omit-omit or sem-mem-external-running"


def _wrapper(release: str) -> Path:
    """The release's virsh wrapper; the test skips unless the release is up (its scratch
    root mounted: built but down, every case errors or fails on files the chroot cannot see)."""
    require(f"release:{release}")
    return BASE / release / "bin" / "virsh"


def _run(release: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    env = dict(os.environ, SNAPCONFORM_VIRSH=str(_wrapper(release)))
    cmd = [sys.executable, "-m", "harness", "run", "--impl", "virsh:test:///default", "-q"]
    cmd += ["--report-dir", str(tmp_path), "-k", CELLS, *extra]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    found = list(tmp_path.glob("*/results.json"))
    assert found, proc.stdout + proc.stderr
    return proc.returncode, json.loads(found[0].read_text(encoding="utf-8"))


@pytest.mark.parametrize("release", release_names())
def test_release_test_driver_through_its_own_virsh(release: str, tmp_path: Path) -> None:
    code, results = _run(release, tmp_path)
    header = results["header"]
    assert isinstance(header, dict)
    details = header["implementation"]["details"]
    assert details["libvirt"].startswith(release + ".")
    assert details["client"] == details["libvirt"]  # the test driver is the client's
    assert details["virsh"] == str(BASE / release / "bin" / "virsh")
    assert header["profile"] == f"libvirt-{release}-test"
    statuses = {r["id"]: r["status"] for r in results["results"]}  # type: ignore[attr-defined]
    assert "table-running-manual-external-full-qcow2" in statuses
    assert set(statuses.values()) == {"pass"}, statuses
    assert code == 0


def test_7_0_profile_fails_through_the_hosts_virsh(tmp_path: Path) -> None:
    """The same cells judged as 7.0's through the host's 9.0 virsh fail: the profile does
    not pass by itself, only through the release's own client."""
    require("virsh")
    cmd = [sys.executable, "-m", "harness", "run", "--impl", "virsh:test:///default", "-q"]
    cmd += ["--report-dir", str(tmp_path), "-k", CELLS, "--profile", "libvirt-7.0-test"]
    env = {k: v for k, v in os.environ.items() if k != "SNAPCONFORM_VIRSH"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    results = json.loads(next(tmp_path.glob("*/results.json")).read_text(encoding="utf-8"))
    statuses = {r["id"]: r["status"] for r in results["results"]}
    assert statuses["table-running-manual-external-full-qcow2"] == "fail"
    assert proc.returncode != 0


@pytest.mark.parametrize("release", release_names())
def test_release_test_driver_through_its_own_binding(release: str, tmp_path: Path) -> None:
    """The same cells through the release's python3-libvirt (harness.chroot_libvirt runs
    the calls in the chroot's own Python)."""
    _wrapper(release)
    python = BASE / release / "bin" / "python3"
    env = dict(os.environ, SNAPCONFORM_LIBVIRT_PYTHON=str(python))
    env.pop("SNAPCONFORM_VIRSH", None)
    impl = "python-libvirt:harness.chroot_libvirt@test:///default"
    cmd = [sys.executable, "-m", "harness", "run", "--impl", impl, "-q"]
    cmd += ["--report-dir", str(tmp_path), "-k", CELLS]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    results = json.loads(next(tmp_path.glob("*/results.json")).read_text(encoding="utf-8"))
    details = results["header"]["implementation"]["details"]
    assert details["libvirt"].startswith(release + ".")
    assert details["python"] == str(python)
    assert results["header"]["profile"] == f"libvirt-{release}-test"
    statuses = {r["id"]: r["status"] for r in results["results"]}
    assert "table-running-manual-external-full-qcow2" in statuses
    assert set(statuses.values()) == {"pass"}, statuses
    assert proc.returncode == 0, proc.stdout + proc.stderr
