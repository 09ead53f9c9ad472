"""What a test needs from the machine, and the one guard that skips it when that is absent.

A test says ``@pytest.mark.needs("virsh", "qemu-img", "libvirtd")`` (or, in a fixture,
``require("openssl")``); ``tests/conftest.py`` skips it with a reason naming what is missing
and how a Debian 12 machine gets it. ``tox -e py`` lists the skips (``-rs``), so a bare
machine shows exactly which tests did not run and why.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.corpus.lint import LIBVIRT_RNG
from harness.host.safety import DEFAULT_ROOT
from tests.hostutil import RELEASES_DIR, qemu_answers, release_names

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seed"
SYSTEM_PYTHON = Path("/usr/bin/python3")


@dataclass(frozen=True)
class Need:
    probe: Callable[[], bool]
    #: what to do when it is missing
    how: str


def _tool(name: str) -> Callable[[], bool]:
    return lambda: shutil.which(name) is not None


def _system_binding() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    done = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import libvirt"], capture_output=True, check=False
    )
    return done.returncode == 0


def _browser_missing() -> str | None:
    from harness.report.browser import missing

    return missing()


NEEDS: dict[str, Need] = {
    "virsh": Need(_tool("virsh"), "apt-get install libvirt-clients"),
    "qemu-img": Need(_tool("qemu-img"), "apt-get install qemu-utils"),
    "openssl": Need(_tool("openssl"), "apt-get install openssl"),
    "libvirtd": Need(
        qemu_answers, "a libvirtd answering qemu:///system: run scripts/libvirt-host up as root"
    ),
    "libvirt-python": Need(
        lambda: importlib.util.find_spec("libvirt") is not None,
        "the libvirt Python binding: tox -e libvirt",
    ),
    "system-libvirt-python": Need(
        _system_binding, "Debian's binding for /usr/bin/python3: apt-get install python3-libvirt"
    ),
    "libvirt-schemas": Need(LIBVIRT_RNG.is_file, f"{LIBVIRT_RNG}: apt-get install libvirt-clients"),
    "chromium": Need(
        lambda: _browser_missing() is None,
        "a driveable headless Chromium: apt-get install chromium chromium-driver, and selenium "
        "(pip install 'snapconform[test]')",
    ),
    "root": Need(lambda: os.geteuid() == 0, "root (mount, chroot): run the tests as root"),
    "seed": Need(SEED.is_dir, f"the seed commit's text in {SEED} (beside the repository)"),
}


@functools.cache
def implementation_python(name: str) -> str | None:
    """The interpreter (this one, else Debian's /usr/bin/python3) that sees the third-party
    library of ``implementations/NAME`` (its manifest's probe succeeds), or None."""
    from implementations.manifest import HERE, MANIFEST, load

    impl = load(HERE / name / MANIFEST)
    for python in (sys.executable, str(SYSTEM_PYTHON)):
        if Path(python).exists():
            done = subprocess.run([python, "-c", impl.probe], capture_output=True, check=False)
            if done.returncode == 0:
                return python
    return None


def _implementations() -> dict[str, Need]:
    """``implementation:NAME`` for every folder under implementations/ (adding one is adding
    a folder)."""
    from implementations.manifest import discover

    out = {}
    for impl in discover():
        how = "; ".join(f"{k} install {' '.join(v)}" for k, v in impl.install.items())
        out[f"implementation:{impl.name}"] = Need(
            functools.partial(lambda n: implementation_python(n) is not None, impl.name),
            f"{how or 'see its README'} (implementations/{impl.name}/README.md)",
        )
    return out


NEEDS.update(_implementations())


def release_client_ready(name: str) -> bool:
    """The release's own client wrappers can run (scripts/libvirt-release): root, the chroot
    built and up without --tcp, i.e. the scratch root mounted in it. Built but down, the
    client would not see the harness's files (the wrappers refuse then)."""
    scratch = os.environ.get("SNAPCONFORM_SCRATCH_ROOT") or str(DEFAULT_ROOT)  # as HostOptions
    point = str(RELEASES_DIR / name / "root") + "/" + scratch.lstrip("/")
    if os.geteuid() != 0 or not os.access(RELEASES_DIR / name / "bin" / "virsh", os.X_OK):
        return False
    mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    return any(line.split()[1].replace("\\040", " ") == point for line in mounts)


def _releases() -> dict[str, Need]:
    """``release:NAME`` for every releases/NAME.json."""
    return {
        f"release:{name}": Need(
            functools.partial(release_client_ready, name),
            f"release {name} up, as root: scripts/libvirt-host up --release {name}",
        )
        for name in release_names()
    }


NEEDS.update(_releases())


@functools.cache
def present(name: str) -> bool:
    if name not in NEEDS:
        raise KeyError(f"unknown need {name!r}; tests/needs.py knows {', '.join(NEEDS)}")
    return NEEDS[name].probe()


def missing(names: tuple[str, ...]) -> str | None:
    """Why a test needing ``names`` cannot run here (None if it can)."""
    absent = [n for n in names if not present(n)]
    if not absent:
        return None
    return "needs " + "; ".join(f"{n} ({NEEDS[n].how})" for n in absent)


def require(*names: str) -> None:
    """Skip the running test (or fixture) unless everything in ``names`` is there."""
    why = missing(names)
    if why is not None:
        pytest.skip(why)
