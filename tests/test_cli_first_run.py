"""A newcomer's first run (issue 8): what the command line says when things are missing or
piped, one clear line each."""

from __future__ import annotations

import os
import subprocess
import sys

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
