"""A newcomer's first run (issue 8): what the command line says when things are missing or
piped, one clear line each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_suite import REPO


@pytest.mark.parametrize(
    "args",
    [
        ["list", "-l", "--cells", "libvirt-9.0-qemu"],
        ["table", "--profile", "libvirt-9.0-qemu"],
    ],
    ids=["list", "table"],
)
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    """`snapconform ... | head -1`: the reader goes away after one line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def bare(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``snapconform ARGS`` on a machine without virsh and qemu-img: nothing on the PATH."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    env = dict(os.environ, PATH=str(empty), PYTHONPATH=str(REPO))
    env.pop("LIBVIRT_DEFAULT_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "harness", *args, "--report-dir", str(tmp_path / "reports")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The run stopped before any case with exactly one line, ``ERROR: ...``, and no
    empty line after it."""
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stderr.startswith("ERROR: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.stderr.strip()


def test_a_missing_virsh_names_its_debian_package(tmp_path: Path) -> None:
    line = one_error_line(bare(tmp_path, "run", "--impl", "virsh", "-q"))
    assert "virsh is not installed" in line and "apt-get install libvirt-clients" in line


def test_a_missing_qemu_img_is_one_message_before_the_run(tmp_path: Path) -> None:
    proc = bare(tmp_path, "run", "--impl", "python-libvirt:tests.impls.mock_libvirt", "-q")
    line = one_error_line(proc)
    assert "qemu-img is not installed" in line and "apt-get install qemu-utils" in line
    assert not (tmp_path / "reports").exists()  # not one case was tried


def test_a_dry_run_needs_no_virsh(tmp_path: Path) -> None:
    args = ["run", "--impl", "virsh", "--dry-run", "-q", "-k", "sem-mem-omit-running-vda-no"]
    proc = bare(tmp_path, *args, "--profile", "libvirt-9.0-test")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[dry-run] virsh -c test:///default snapshot-create " in proc.stderr
    assert "[dry-run] qemu-img create " in proc.stderr
    assert "cases: 0 pass, 0 fail, 0 error, 1 not-applicable" in proc.stdout
    # without virsh nothing says which release it is: the profile is asked for
    proc = bare(tmp_path, *args)
    assert proc.returncode == 4 and proc.stderr.endswith("\n") and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("ERROR: virsh: cannot tell which profile")
    assert "pass --profile" in proc.stderr.splitlines()[-1]


def test_an_unreachable_endpoint_is_named_once(tmp_path: Path) -> None:
    url = "http://127.0.0.1:1"
    line = one_error_line(bare(tmp_path, "run", "--impl", url, "-q"))
    assert line.count("127.0.0.1:1") == 1, line
    assert line.startswith(f"ERROR: {url}: identify failed: ") and "cannot connect" in line
