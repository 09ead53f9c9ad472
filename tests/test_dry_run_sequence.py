"""A dry run on a daemon prints what a real run would do: a fixture defined once and reused
(not a define per case), then destroyed and undefined at the end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostutil import QEMU
from tests.test_suite import run_cli

pytestmark = pytest.mark.needs("virsh", "libvirtd")


def test_a_dry_run_reuses_its_fixture_and_removes_it(tmp_path: Path) -> None:
    done = run_cli(
        "run",
        "--impl",
        f"virsh:{QEMU}",
        "--allow-host",
        "--dry-run",
        "-k",
        "table-running-internal-omit-full-qcow2 and not no-metadata",
        "--report-dir",
        str(tmp_path / "reports"),
    )
    out = done.stdout + done.stderr
    commands = re.findall(r"\[dry-run\] virsh -c \S+ (\S+) (\S+)", out)
    cases = len(re.findall(r"\[dry-run\] virsh -c \S+ snapshot-create ", out))
    defined = [uuid for verb, uuid in commands if verb == "define"]
    assert cases >= 2, out[-3000:]
    assert len(defined) == 1, out[-3000:]
    verbs = [verb for verb, _ in commands]
    assert verbs.count("start") == 1 and verbs[-2:] == ["destroy", "undefine"], verbs
