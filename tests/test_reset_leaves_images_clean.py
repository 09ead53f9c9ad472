"""A fixture reset leaves nothing inside the images: no internal snapshot, no backing file.

On the host's libvirtd and on every release chroot that is up (scripts/libvirt-host up
--release NAME); a release that is not up is skipped with that reason.

Cells that write internal state (full snapshots, --atomic, --no-metadata) run one after
another on one scratch domain of the local libvirtd; after each case, a fixture the next case
may reuse must have images that ``qemu-img info`` shows empty of snapshots and without a
backing file (a later release's savevm refuses a name already inside an image).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.adapters.virsh import VirshAdapter
from harness.contract import Errored
from harness.host.safety import DEFAULT_ROOT, HostOptions
from harness.table.cells import request_for
from harness.table.model import CellKey
from tests.hostutil import QEMU, qemu_answers, qemu_lock, release_names, release_uri

pytestmark = pytest.mark.needs("virsh", "qemu-img", "libvirtd")

CELLS = [
    CellKey("running", "omit", "omit", False, "qcow2"),
    CellKey("running", "omit", "omit", False, "qcow2", ("atomic",)),
    CellKey("shutoff", "omit", "omit", False, "qcow2"),
    CellKey("running", "omit", "omit", False, "qcow2", ("no-metadata",)),
    CellKey("running", "internal", "omit", False, "qcow2"),
    CellKey("running", "omit", "omit", True, "qcow2"),
    CellKey("paused", "omit", "omit", False, "qcow2", ("no-metadata",)),
    CellKey("paused", "omit", "omit", False, "qcow2"),
]


def _info(path: str) -> dict[str, object]:
    done = subprocess.run(
        ["qemu-img", "info", "-U", "--output=json", "--backing-chain", path],
        capture_output=True,
        text=True,
        check=True,
    )
    chain = json.loads(done.stdout)
    return {"snapshots": chain[0].get("snapshots", []), "chain": len(chain)}


@pytest.mark.parametrize("release", ["host", *release_names()])
def test_reused_fixtures_have_clean_images(release: str, tmp_path: Path) -> None:
    uri, root = QEMU, tmp_path
    if release != "host":
        uri = release_uri(release)
        if not qemu_answers(uri):
            pytest.skip(
                f"release {release} is not up (scripts/libvirt-host up --release {release})"
            )
        root = DEFAULT_ROOT  # the scratch root the chroot has bind-mounted
    with qemu_lock():
        adapter = VirshAdapter(uri, options=HostOptions(root=root, allow_host=True))
        try:
            for cell in CELLS:
                outcome = adapter.run(request_for(cell, {"@SCRATCH@": adapter.scratch}))
                assert not isinstance(outcome, Errored), (cell.id, outcome)
                fx = adapter.runner._fixtures.current if adapter.runner._fixtures else None
                if fx is None or fx.dirty:
                    continue  # the next case gets a new fixture with new images
                for disk in fx.spec.disks:
                    assert disk.source is not None
                    assert _info(disk.source) == {"snapshots": [], "chain": 1}, cell.id
        finally:
            adapter.close()
