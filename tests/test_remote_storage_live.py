"""A remote host: images only through libvirt's storage API, and nothing left behind.

Against a release chroot's daemon over ``qemu+tcp://127.0.0.1:PORT/system`` brought up with
``scripts/libvirt-host up --tcp --release NAME`` (default 12.9; SNAPCONFORM_REMOTE_RELEASE):
that mode does not bind-mount the scratch root, so only libvirt's API reaches the daemon's
files. Through both adapters, cells that write internal snapshots, overlays, memory files
(a name with a space) and ``--no-metadata`` run one after another; every reused fixture's
images must be clean as the chroot's own ``qemu-img`` sees them; a run killed with SIGKILL
is cleaned up by ``snapconform cleanup``; a pool named like ours but not made like ours is
refused. Before and after, the inventory of the daemon (pools, volumes, domains) and of the
chroot (files under /var/tmp, pool definitions, guest processes, mounts) must be equal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.adapters.libvirt_binding import LibvirtAdapter
from harness.adapters.virsh import VirshAdapter
from harness.contract import Errored
from harness.host.journal import Journal
from harness.host.safety import HostOptions
from harness.table.cells import request_for
from harness.table.model import CellKey
from tests.hostutil import RELEASES_DIR, REPO, qemu_answers, qemu_lock, virsh
from tests.needs import require

pytestmark = pytest.mark.needs("virsh")

RELEASE = os.environ.get("SNAPCONFORM_REMOTE_RELEASE", "12.9")
BASE = RELEASES_DIR
CHROOT = BASE / RELEASE / "root"
PORT = json.loads((REPO / "releases" / f"{RELEASE}.json").read_text())["tcp_port"]
URI = f"qemu+tcp://127.0.0.1:{PORT}/system"

CELLS = [
    CellKey("running", "omit", "omit", False, "qcow2"),
    CellKey("running", "omit", "omit", False, "qcow2", ("atomic",)),
    CellKey("running", "external", "omit", False, "qcow2"),
    CellKey("shutoff", "omit", "external", True, "qcow2"),
    CellKey("running", "omit", "omit", False, "qcow2", ("no-metadata",)),
    CellKey("running", "internal", "omit", False, "qcow2"),
    CellKey("running", "omit", "omit", True, "qcow2"),
    CellKey("paused", "omit", "omit", False, "qcow2"),
    CellKey("shutoff", "omit", "omit", False, "raw"),
]


@pytest.fixture(scope="module")
def remote() -> Iterator[str]:
    if not qemu_answers(URI):
        pytest.skip(
            f"no daemon on {URI}: run scripts/libvirt-host up --tcp --release {RELEASE} "
            "as root (SNAPCONFORM_RELEASES_DIR picks the chroot directory)"
        )
    with qemu_lock():
        yield URI


def _guests() -> list[str]:
    """Command names of the processes in the chroot other than its two daemons."""
    real = os.path.realpath(CHROOT)
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/root") != real:
                continue
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
        except OSError:
            continue
        if comm not in ("libvirtd", "virtlogd"):
            out.append(comm)
    return sorted(out)


def _files(sub: str) -> list[str]:
    top = CHROOT / sub.lstrip("/")
    return sorted(str(p.relative_to(CHROOT)) for p in top.rglob("*")) if top.is_dir() else []


def inventory(uri: str, root: Path) -> dict[str, object]:
    pools = {}
    for pool in virsh(uri, "pool-list", "--all", "--name").split():
        pools[pool] = virsh(uri, "vol-list", pool, check=False)
    mounts = [
        line.split()[1]
        for line in Path("/proc/mounts").read_text().splitlines()
        if line.split()[1].startswith(str(CHROOT))
    ]
    return {
        "domains": sorted(virsh(uri, "list", "--all", "--name").split()),
        "pools": pools,
        "chroot /var/tmp": _files("/var/tmp"),
        "chroot pool definitions": _files("/etc/libvirt/storage"),
        "guest processes": _guests(),
        "mounts": sorted(mounts),
        "scratch root": sorted(str(p) for p in root.rglob("*")) if root.exists() else [],
    }


def _chroot_image(path: str) -> dict[str, object]:
    """What the daemon side's own qemu-img says of an image (the test may look inside the
    chroot; the harness may not)."""
    done = subprocess.run(
        ["chroot", str(CHROOT), "qemu-img", "info", "-U", "--output=json", "--backing-chain", path],
        capture_output=True,
        text=True,
        check=True,
    )
    chain = json.loads(done.stdout)
    return {"snapshots": chain[0].get("snapshots", []), "chain": len(chain)}


def _define_journaled_pool(
    remote: str, root: Path, tmp_path: Path, run_id: str, name: str, uuid: str, path: str
) -> None:
    """A dead run ``run_id`` under ``root`` whose journal names pool ``name``/``uuid``, and
    that pool defined (not built) on ``remote`` with its target at ``path``."""
    xml = tmp_path / "pool.xml"
    xml.write_text(
        f"<pool type='dir'><name>{name}</name><uuid>{uuid}</uuid>"
        f"<target><path>{path}</path></target></pool>"
    )
    run = root / run_id
    run.mkdir(parents=True)
    (run / "lock").touch()
    journal = Journal(run / "journal.jsonl")
    journal.append("run", run=run_id, uri=remote)
    journal.append("create", kind="pool", name=name, uuid=uuid, uri=remote)
    virsh(remote, "pool-define", str(xml))


def _cleanup(remote: str, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "cleanup", "--uri", remote, "--scratch-root", str(root)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["virsh", "libvirt"])
def test_remote_run_uses_a_pool_and_leaves_nothing(remote: str, kind: str, tmp_path: Path) -> None:
    if kind == "libvirt":
        require("libvirt-python")
    root = tmp_path / "root"
    before = inventory(remote, root)
    options = HostOptions(root=root, allow_host=True)
    adapter: VirshAdapter | LibvirtAdapter = (
        VirshAdapter(remote, options=options)
        if kind == "virsh"
        else LibvirtAdapter(remote, options=options)
    )
    runner = adapter.runner
    assert runner.pool, "a qemu+tcp URI must provision through the storage API"
    assert not runner.scratch.startswith(str(root)), runner.scratch
    seen_pool = False
    try:
        for cell in CELLS:
            outcome = adapter.run(request_for(cell, {"@SCRATCH@": runner.scratch}))
            assert not isinstance(outcome, Errored), (cell.id, outcome)
            pools = virsh(remote, "pool-list", "--all", "--name").split()
            seen_pool = seen_pool or f"snapconform-{runner.run_id}-scratch" in pools
            fx = runner._fixtures.current if runner._fixtures else None
            if fx is None or fx.dirty:
                continue
            for disk in fx.spec.disks:
                assert disk.source is not None
                assert (CHROOT / disk.source.lstrip("/")).is_file(), (cell.id, disk.source)
                if disk.format == "qcow2":
                    assert _chroot_image(disk.source) == {"snapshots": [], "chain": 1}, cell.id
    finally:
        adapter.close()
    assert seen_pool
    assert not (CHROOT / runner.scratch.lstrip("/")).exists()
    assert inventory(remote, root) == before


def test_killed_remote_run_is_cleaned_up(remote: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    before = inventory(remote, root)
    env = dict(os.environ, SNAPCONFORM_SCRATCH_ROOT=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--impl", f"virsh:{remote}", "--allow-host",
         "-q", "-k", "table-running", "--report-dir", str(tmp_path / "reports")],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pools = virsh(remote, "pool-list", "--all", "--name").split()
            vols = [virsh(remote, "vol-list", p, check=False) for p in pools if "-scratch" in p]
            if any(".qcow2" in v for v in vols) and virsh(remote, "list", "--name").split():
                break
            time.sleep(0.5)
        else:
            pytest.fail("the run made no pool, volume and running domain within 120 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left = inventory(remote, root)
    assert left["pools"] != before["pools"] and left["domains"] != before["domains"]
    done = subprocess.run(
        [sys.executable, "-m", "harness", "cleanup", "--uri", remote, "--scratch-root", str(root)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "removed: storage pool snapconform-r" in done.stdout, done.stdout
    assert inventory(remote, root) == before


def test_cleanup_refuses_a_pool_not_made_like_ours(remote: str, tmp_path: Path) -> None:
    """A pool with our name pattern but another directory is journaled by a dead run: the
    journal replay must refuse it (a problem, exit 1) and leave it defined."""
    root = tmp_path / "root"
    name, uuid = "snapconform-rdeadbeef-scratch", "6c0d8d6e-7a61-4c2b-9d55-3f0e1a1b2c3d"
    _define_journaled_pool(
        remote, root, tmp_path, "rdeadbeef", name, uuid, "/var/tmp/not-snapconform"
    )
    try:
        done = _cleanup(remote, root)
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert "refusing to touch storage pool" in done.stderr
        assert name in virsh(remote, "pool-list", "--all", "--name").split()
    finally:
        virsh(remote, "pool-undefine", uuid, check=False)


def test_cleanup_removes_a_journaled_pool_that_never_started(remote: str, tmp_path: Path) -> None:
    """A run killed between pool-define and pool-build leaves a definition whose directory
    does not exist: cleanup undefines it (there is no volume libvirt could reach)."""
    root = tmp_path / "root"
    before = inventory(remote, root)
    name, uuid = "snapconform-rabcdef01-scratch", "0d6a1c8e-1111-4c2b-9d55-3f0e1a1b2c3d"
    _define_journaled_pool(remote, root, tmp_path, "rabcdef01", name, uuid, f"/var/tmp/{name}")
    try:
        done = _cleanup(remote, root)
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert f"removed: storage pool {name}" in done.stdout
        assert inventory(remote, root) == before
    finally:
        virsh(remote, "pool-undefine", uuid, check=False)
