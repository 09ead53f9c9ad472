"""A scratch image deleted under a fixture domain (shut off or running) is a broken fixture:
it is re-provisioned before the next case, which gets the same answer as on a fresh one;
it is never judged as libvirt's answer ("source for disk 'vda' is not a regular file")."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.adapters.virsh import VirshAdapter
from harness.contract import Accepted
from harness.host.safety import HostOptions
from harness.table.cells import observe, request_for
from harness.table.model import CellKey
from tests.hostutil import QEMU, TEST, qemu_lock

pytestmark = pytest.mark.needs("virsh", "qemu-img")


@pytest.mark.parametrize(
    ("uri", "state"),
    [
        pytest.param(TEST, "shutoff", id="test-shutoff"),
        pytest.param(QEMU, "shutoff", id="qemu-shutoff", marks=pytest.mark.needs("libvirtd")),
        pytest.param(QEMU, "running", id="qemu-running", marks=pytest.mark.needs("libvirtd")),
    ],
)
def test_an_image_deleted_under_the_fixture_is_re_provisioned(
    uri: str, state: str, tmp_path: Path
) -> None:
    cell = CellKey(state, "omit", "omit", False, "qcow2")
    with qemu_lock():
        adapter = VirshAdapter(uri, options=HostOptions(root=tmp_path, allow_host=True))
        try:
            request = request_for(cell, {"@SCRATCH@": adapter.scratch})
            first = adapter.run(request)
            assert isinstance(first, Accepted), first
            image = Path(adapter.scratch) / "vda.qcow2"
            assert image.is_file()
            image.unlink()
            second = adapter.run(request)
            assert isinstance(second, Accepted), second
            assert observe(second) == observe(first)  # the same modes, on a new domain
            assert image.is_file(), "the image is made again"
            fixtures = adapter.runner._fixtures
            assert fixtures is not None
            if uri == QEMU:
                assert fixtures.stats.provisioned == 2, fixtures.stats
                reasons = fixtures.stats.recreate_reasons
                assert any("image gone" in r for r in reasons), reasons
        finally:
            adapter.close()
