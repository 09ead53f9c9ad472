"""The binding adapter: with a mock module (python-libvirt:), and with the real binding."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.adapters.libvirt_binding import LibvirtAdapter
from harness.connectables import connect
from harness.contract import (
    Accepted,
    Context,
    DiskSpec,
    DomainState,
    Flag,
    Level,
    Operation,
    Rejected,
    RejectionKind,
    Request,
)
from harness.host.safety import HostOptions
from tests.hostutil import QEMU, TEST, inventory, suite
from tests.impls import mock_libvirt

needs_binding = pytest.mark.needs("libvirt-python", "virsh", "qemu-img")


def _ctx(scratch: str, **kw: object) -> Context:
    disks = (DiskSpec(target="vda", source=f"{scratch}/vda.qcow2"),)
    return Context(state=DomainState.RUNNING, disks=disks, **kw)  # type: ignore[arg-type]


@pytest.mark.needs("qemu-img")  # the adapter makes real scratch images, mock or not
def test_a_mock_of_the_binding_can_be_driven(tmp_path: Path) -> None:
    a = LibvirtAdapter.from_module_target(
        "tests.impls.mock_libvirt@test:///default", HostOptions(root=tmp_path)
    )
    try:
        assert a.connectable == "python-libvirt:tests.impls.mock_libvirt@test:///default"
        assert a.identify().details == {
            "driver": "Test",
            "libvirt": "9.0.0",
            "hypervisor": "0.0.2",
            "uri": "test:///default",
            "client": "9.0.0",
        }
        ok = a.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", _ctx(a.scratch)))
        assert isinstance(ok, Accepted) and "<state>running</state>" in ok.xml
        bad = "<domainsnapshot><memory snapshot='external'/></domainsnapshot>"
        ctx = _ctx(a.scratch, flags=frozenset({Flag.DISK_ONLY, Flag.ATOMIC}))
        no = a.run(Request(Level.SEMANTICS, Operation.CREATE, bad, ctx))
        assert no == Rejected(
            RejectionKind.INVALID,
            "XML error: external memory snapshots require a filename",
            "VIR_ERR_XML_ERROR",
        )
        # disk-only (16) | atomic (128)
        assert "snapshotCreateXML flags=144" in mock_libvirt.calls
    finally:
        a.close()
    assert mock_libvirt._DOMAINS == {}
    assert list(tmp_path.iterdir()) == []


def test_connect_knows_the_kinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNAPCONFORM_SCRATCH_ROOT", str(tmp_path))
    a = connect("python-libvirt:tests.impls.mock_libvirt")
    try:
        assert a.connectable.startswith("python-libvirt:tests.impls.mock_libvirt@")
    finally:
        a.close()


@needs_binding
def test_real_binding_on_the_test_driver(tmp_path: Path) -> None:
    a = LibvirtAdapter(TEST, options=HostOptions(root=tmp_path))
    try:
        assert a.identify().details["driver"] == "Test"
        out = a.run(
            Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", _ctx(a.scratch))
        )
        assert isinstance(out, Accepted), out
        ctx = _ctx(a.scratch, flags=frozenset({Flag.DISK_ONLY}))
        out = a.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", ctx))
        assert isinstance(out, Rejected) and out.code == "VIR_ERR_INVALID_ARG", out
    finally:
        a.close()
    assert list(tmp_path.iterdir()) == []


@needs_binding
def test_real_binding_suite_leaves_nothing(tmp_path: Path) -> None:
    before = inventory(TEST, tmp_path)
    proc = suite(f"libvirt:{TEST}", tmp_path, "-k", "sem-align or syntax-disk")
    out, _ = proc.communicate(timeout=300)
    assert " passed" in out, out
    assert inventory(TEST, tmp_path) == before


@needs_binding
@pytest.mark.needs("libvirtd")
def test_real_binding_identifies_qemu() -> None:
    a = LibvirtAdapter(QEMU, options=HostOptions(allow_host=True))
    try:
        details = a.identify().details
    finally:
        a.close()
    assert details["driver"] == "QEMU" and details["libvirt"].startswith("9.")
