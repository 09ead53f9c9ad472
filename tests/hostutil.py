"""Helpers for the live host tests: is qemu:///system there, inventories, suite runs."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QEMU = "qemu:///system"
TEST = "test:///default"
#: where scripts/libvirt-release builds the release chroots
RELEASES_DIR = Path(os.environ.get("SNAPCONFORM_RELEASES_DIR", "/var/lib/snapconform-releases"))


def virsh(uri: str, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["virsh", "-q", "-c", uri, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, LC_ALL="C"),
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"virsh {' '.join(args)}: {result.stderr}")
    return result.stdout


def release_uri(name: str) -> str:
    """The socket URI of a release chroot's daemon (scripts/libvirt-release Chroot.uri)."""
    return f"qemu:///system?socket={RELEASES_DIR / name / 'root/run/libvirt/libvirt-sock'}"


def release_names() -> list[str]:
    """Every release the project runs (releases/NAME.json), oldest first."""
    names = [p.stem for p in (REPO / "releases").glob("*.json")]
    return sorted(names, key=lambda n: tuple(int(x) for x in n.split(".")))


def qemu_answers(uri: str = QEMU) -> bool:
    try:
        subprocess.run(
            ["virsh", "-q", "-c", uri, "version"],
            capture_output=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@contextmanager
def qemu_lock() -> Iterator[None]:
    """One live qemu test at a time (xdist workers included): a killed run's leftovers
    would otherwise, rightly, stop another test's run from starting."""
    with open("/tmp/snapconform-qemu-tests.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def domains(uri: str) -> set[str]:
    return {n for n in virsh(uri, "list", "--all", "--name").split() if n}


def qemu_processes(root: Path) -> list[str]:
    """The command lines of QEMU processes that name a path under ``root`` (a scratch
    domain's disks live there), so other users' guests do not count."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv if w]
        if words and "qemu-system" in Path(words[0]).name and any(str(root) in w for w in words):
            found.append(" ".join(words))
    return sorted(found)


def inventory(uri: str, root: Path) -> dict[str, object]:
    """Domains (with their snapshots), pools, storage volumes, files under the scratch root
    and QEMU processes using it: everything a run could leave."""
    doms = {}
    for name in domains(uri):
        snaps = virsh(uri, "snapshot-list", name, "--name", check=False).split()
        doms[name] = sorted(snaps)
    pools = sorted(virsh(uri, "pool-list", "--all", "--name", check=False).split())
    vols = {pool: sorted(virsh(uri, "vol-list", pool, check=False).splitlines()) for pool in pools}
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return {
        "domains": doms,
        "pools": pools,
        "volumes": vols,
        "files": files,
        "qemu": qemu_processes(root),
    }


def ours(inv: dict[str, object], uri: str, root: Path) -> dict[str, object]:
    """The inventory less domains of other users of the host: colleagues' probes and other
    snapconform runs (their metadata names another scratch root) come and go meanwhile."""
    from harness.host.safety import run_of_domain_xml

    doms = inv["domains"]
    assert isinstance(doms, dict)
    kept = {}
    for name, snaps in doms.items():
        owner = run_of_domain_xml(virsh(uri, "dumpxml", name, "--inactive", check=False))
        if owner is not None and owner[1] == root:
            kept[name] = snaps
    return {**inv, "domains": kept}


def our_inventory(uri: str, root: Path) -> dict[str, object]:
    """The host's :func:`inventory` as far as it is this test's (:func:`ours`): what a run
    under ``root`` must leave as it found it."""
    return ours(inventory(uri, root), uri, root)


def suite_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SNAPCONFORM_"))}
    env.update(SNAPCONFORM_SCRATCH_ROOT=str(root), **extra)
    return env


def suite(impl: str, root: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            str(REPO / "conformance"),
            "--impl",
            impl,
            "--no-report",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            *args,
        ],
        cwd=REPO,
        env=suite_env(root, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
