"""Faults on the local libvirtd (qemu:///system) during a run: the virsh child killed, two
runs on one URI at once, a foreign domain with a snapshot on the host. After each, the
inventory of the host (domains, snapshots, pools, volumes, files under the scratch root,
QEMU processes using it) equals the one before."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.hostutil import QEMU, REPO, our_inventory, qemu_lock, suite, virsh

pytestmark = pytest.mark.needs("virsh", "qemu-img", "libvirtd")
#: running and shut-off fixtures, a handful of destroys
SELECTION = "sem-mem-internal or sem-mem-no-running"
#: the same kinds, 34 cases: the virsh child is killed at the first snapshot-create, and the
#: rest run on a new shell
KILLED = "sem-mem"
OTHER = "sem-mem-external or sem-mem-omit-running"


def _summary(out: str) -> dict[str, int]:
    last = [line for line in out.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    assert last, out[-3000:]
    return {w: int(n) for n, w in re.findall(r"(\d+) (passed|failed|error|deselected)", last[-1])}


def _selected(expr: str) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "list"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    words = [w.strip() for w in re.split(r"\bor\b", expr)]
    return sum(any(w in case for w in words) for case in done.stdout.split())


#: a virsh that runs the real one and, at the first ``snapshot-create`` any of its copies is
#: sent (a marker file makes it once per test), kills the real one and itself with SIGKILL:
#: the kill lands while a case's command is in flight, never between two commands (a kill
#: timed from outside missed the commands of a fast run: 34 cases in 8 s)
KILLING_VIRSH = """#!{python}
import os, signal, subprocess, sys
child = subprocess.Popen(["virsh", *sys.argv[1:]], stdin=subprocess.PIPE)
for line in sys.stdin.buffer:
    if line.startswith(b"snapshot-create"):
        try:
            os.close(os.open({marker!r}, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            child.kill()
            os.kill(os.getpid(), signal.SIGKILL)
    child.stdin.write(line)
    child.stdin.flush()
child.stdin.close()
sys.exit(child.wait())
"""


def test_the_virsh_child_killed_mid_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    marker = tmp_path / "killed"
    wrapper = tmp_path / "virsh"
    wrapper.write_text(KILLING_VIRSH.format(python=sys.executable, marker=str(marker)))
    wrapper.chmod(0o755)
    with qemu_lock():
        before = our_inventory(QEMU, root)
        proc = suite(
            f"virsh:{QEMU}",
            root,
            "-k",
            KILLED,
            SNAPCONFORM_ALLOW_HOST="1",
            SNAPCONFORM_VIRSH=str(wrapper),
        )
        out, _ = proc.communicate(timeout=900)
        assert marker.exists(), "no snapshot-create was sent, so nothing was killed"
        counts = _summary(out)
        failed = [line for line in out.splitlines() if line.startswith("FAILED")]
        # the case in flight (at most the one after it too) errors, saying what happened
        assert 1 <= counts.get("failed", 0) == len(failed) <= 2, out[-4000:]
        assert "virsh session ended (killed by SIGKILL)" in out, out[-4000:]
        # the shell was started again and the rest ran and passed
        assert counts["passed"] >= _selected(KILLED) - 2, out[-4000:]
        assert our_inventory(QEMU, root) == before, out[-4000:]


def test_two_runs_on_one_uri_at_once(tmp_path: Path) -> None:
    with qemu_lock():
        before = our_inventory(QEMU, tmp_path)
        runs = [
            suite(f"virsh:{QEMU}", tmp_path, "-k", expr, SNAPCONFORM_ALLOW_HOST="1")
            for expr in (SELECTION, OTHER, SELECTION)
        ]
        outs = [p.communicate(timeout=1200)[0] for p in runs]
        for expr, p, out in zip((SELECTION, OTHER, SELECTION), runs, outs, strict=True):
            assert p.returncode == 0, out[-4000:]
            assert _summary(out)["passed"] == _selected(expr), out[-4000:]
        assert our_inventory(QEMU, tmp_path) == before


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_foreign_domain_with_a_snapshot_is_left_byte_identical(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    # not our prefix, outside the scratch root: another user's guest
    name = f"faults-foreign-{uuid.uuid4().hex[:8]}"
    (tmp_path / "theirs").mkdir()
    disk = tmp_path / "theirs" / f"{name}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "16M"], check=True)
    xml = tmp_path / "domain.xml"
    xml.write_text(
        f"""<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='{disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>"""
    )
    try:
        virsh(QEMU, "define", str(xml))
        virsh(QEMU, "snapshot-create-as", name, "theirs", "--description", "keep me")
        dom_xml = virsh(QEMU, "dumpxml", name, "--inactive")
        snap_xml = virsh(QEMU, "snapshot-dumpxml", name, "theirs")
        digest = _sha256(disk)
        with qemu_lock():
            before = our_inventory(QEMU, scratch)
            proc = suite(f"virsh:{QEMU}", scratch, "-k", SELECTION, SNAPCONFORM_ALLOW_HOST="1")
            out, _ = proc.communicate(timeout=900)
            assert proc.returncode == 0, out[-4000:]
            assert our_inventory(QEMU, scratch) == before
        assert virsh(QEMU, "dumpxml", name, "--inactive") == dom_xml
        assert virsh(QEMU, "snapshot-dumpxml", name, "theirs") == snap_xml
        assert virsh(QEMU, "snapshot-list", name, "--name").split() == ["theirs"]
        assert _sha256(disk) == digest
    finally:
        virsh(QEMU, "undefine", name, "--snapshots-metadata", check=False)
        disk.unlink(missing_ok=True)
