"""A fixture reset leaves nothing inside the images: no internal snapshot, no backing file.

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
from harness.host.safety import HostOptions
from harness.table.cells import request_for
from harness.table.model import CellKey
from tests.hostutil import QEMU, qemu_lock

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


def test_reused_fixtures_have_clean_images(tmp_path: Path) -> None:
    with qemu_lock():
        adapter = VirshAdapter(QEMU, options=HostOptions(root=tmp_path, allow_host=True))
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
