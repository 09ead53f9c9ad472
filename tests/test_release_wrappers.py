"""The release client wrappers (scripts/libvirt-release write_wrappers) and the chroot binding
(harness.chroot_libvirt) refuse, with the reason, while the release is not up: its client
would not see the harness's scratch files, and the answers it gives then ("Failed to open
file", "not a regular file") were judged as the release's behaviour (CI, 3 Dec)."""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests.hostutil import REPO


def _release_script(base: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    monkeypatch.setenv("SNAPCONFORM_RELEASES_DIR", str(base))
    monkeypatch.setenv("SNAPCONFORM_SCRATCH_ROOT", "/var/tmp/snapconform-wrapper-test")
    path = str(REPO / "scripts" / "libvirt-release")
    loader = importlib.machinery.SourceFileLoader("libvirt_release_under_test", path)
    module = types.ModuleType(loader.name)
    module.__file__ = path
    loader.exec_module(module)
    return module


def test_a_wrapper_refuses_while_the_scratch_root_is_not_mounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _release_script(tmp_path / "releases dir", monkeypatch)
    chroot = script.Chroot({"name": "9.9"})
    chroot.dir.mkdir(parents=True)
    chroot.write_wrappers()
    for tool in ("virsh", "python3", "qemu-img"):
        done = subprocess.run(
            [str(chroot.dir / "bin" / tool), "--version"], capture_output=True, text=True
        )
        assert done.returncode == 69, done
        assert "release 9.9 is not up" in done.stderr
        assert "scripts/libvirt-host up --release 9.9" in done.stderr
        assert done.stdout == ""


@pytest.mark.needs("root")
def test_a_wrapper_runs_the_chroots_tool_once_the_scratch_root_is_mounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _release_script(tmp_path / "releases dir", monkeypatch)
    chroot = script.Chroot({"name": "9.9"})
    point = chroot.inside(script.SCRATCH_ROOT)
    point.mkdir(parents=True)
    (chroot.dir / "source").mkdir()
    chroot.write_wrappers()
    subprocess.run(["mount", "--bind", str(chroot.dir / "source"), str(point)], check=True)
    try:
        done = subprocess.run([str(chroot.dir / "bin" / "virsh")], capture_output=True, text=True)
    finally:
        subprocess.run(["umount", str(point)], check=True)
    # past the guard: chroot itself ran and found no /usr/bin/virsh in this empty root
    assert done.returncode == 127, done
    assert "not up" not in done.stderr


def test_the_chroot_binding_reports_a_child_that_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = tmp_path / "python3"
    refusing.write_text("#!/bin/sh\necho 'release 9.9 is not up: scratch not mounted' >&2\nexit 69")
    refusing.chmod(0o755)
    code = (
        "from harness.connectables import connect\n"
        "connect('python-libvirt:harness.chroot_libvirt@test:///default')\n"
    )
    env = dict(os.environ, SNAPCONFORM_LIBVIRT_PYTHON=str(refusing))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("harness.adapters.base.AdapterError: cannot import"), done.stderr
    assert "exited (status 69): release 9.9 is not up: scratch not mounted" in last
    env["SNAPCONFORM_LIBVIRT_PYTHON"] = str(tmp_path / "absent")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert "AdapterError" in done.stderr and "No such file" in done.stderr
