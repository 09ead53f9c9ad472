"""The virsh adapter against a real libvirt: test:///default always, qemu:///system when
it answers. Inventories of the host before and after a run must match."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.adapters.base import AdapterError
from harness.adapters.virsh import VirshAdapter
from harness.contract import (
    Accepted,
    Context,
    DiskSpec,
    DomainState,
    Errored,
    Flag,
    Level,
    Operation,
    Rejected,
    Request,
)
from harness.host.safety import HostOptions
from tests.hostutil import QEMU, TEST, inventory, our_inventory, qemu_lock, suite

pytestmark = pytest.mark.needs("virsh", "qemu-img")
needs_qemu = pytest.mark.needs("libvirtd")


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[VirshAdapter]:
    a = VirshAdapter(TEST, options=HostOptions(root=tmp_path))
    yield a
    a.close()
    assert list(tmp_path.iterdir()) == []


def _ctx(a: VirshAdapter, state: DomainState = DomainState.RUNNING, **kw: object) -> Context:
    disks = (DiskSpec(target="vda", source=f"{a.scratch}/vda.qcow2"),)
    return Context(state=state, disks=disks, **kw)  # type: ignore[arg-type]


def test_identify_names_the_driver(adapter: VirshAdapter) -> None:
    identity = adapter.identify()
    assert identity.details["driver"] == "Test"
    assert identity.details["libvirt"].startswith("9.")
    assert {Level.SYNTAX, Level.SEMANTICS, Level.HOST} <= identity.levels


def test_create_reads_the_definition_back(adapter: VirshAdapter) -> None:
    req = Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", _ctx(adapter))
    out = adapter.run(req)
    assert isinstance(out, Accepted), out
    assert "<state>running</state>" in out.xml
    # a generated name (libvirt's creation time) comes back too
    assert "<name>" in out.xml


def test_rejections_carry_code_and_full_message(adapter: VirshAdapter) -> None:
    xml = "<domainsnapshot><name>s</name><memory snapshot='external'/></domainsnapshot>"
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, xml, _ctx(adapter)))
    assert out == Rejected(
        kind=out.kind,  # type: ignore[union-attr]
        message="XML error: external memory snapshots require a filename",
        code="VIR_ERR_XML_ERROR",
    )


def test_odd_snapshot_names_survive_quoting(adapter: VirshAdapter) -> None:
    xml = (
        '<domainsnapshot><name>it\'s a "snap"</name><state>running</state>'
        "<creationTime>1</creationTime></domainsnapshot>"
    )
    uuid = "11111111-2222-4333-8444-555555555555"
    ctx = _ctx(adapter, uuid=uuid)
    xml = xml.replace("</domainsnapshot>", f"<domain><uuid>{uuid}</uuid></domain></domainsnapshot>")
    out = adapter.run(Request(Level.SEMANTICS, Operation.REDEFINE, xml, ctx))
    # libvirt needs a full <domain> on redefine: refused, but the name went through intact
    assert isinstance(out, Rejected) and "missing domain" in out.message, out


def test_existing_snapshots_are_redefined_first(adapter: VirshAdapter) -> None:
    uuid = "11111111-2222-4333-8444-555555555555"
    dom = (
        f"<domain type='qemu'><name>x</name><uuid>{uuid}</uuid><memory>65536</memory>"
        "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
        f"<source file='{adapter.scratch}/vda.qcow2'/><target dev='vda'/></disk></devices></domain>"
    )
    base = (
        f"<domainsnapshot><name>base</name><state>running</state>"
        f"<creationTime>1</creationTime>{dom}</domainsnapshot>"
    )
    ctx = _ctx(adapter, uuid=uuid, existing=(base,))
    same = "<domainsnapshot><name>base</name></domainsnapshot>"
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, same, ctx))
    # VIR_ERR_OPERATION_FAILED has no rejection kind in contract v1: reported, not guessed
    assert isinstance(out, Errored) and "moment base already exists" in out.message, out
    # and the next case starts clean: the name is free again
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, same, _ctx(adapter)))
    assert isinstance(out, Accepted), out


def test_writing_outside_scratch_is_refused(adapter: VirshAdapter) -> None:
    xml = "<domainsnapshot><memory file='/etc/snapconform-must-not-exist'/></domainsnapshot>"
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, xml, _ctx(adapter)))
    assert isinstance(out, Errored) and "outside the scratch directory" in out.message
    assert not Path("/etc/snapconform-must-not-exist").exists()


def test_transient_shutoff_is_an_error_not_an_answer(adapter: VirshAdapter) -> None:
    ctx = _ctx(adapter, state=DomainState.SHUTOFF, persistent=False)
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", ctx))
    assert isinstance(out, Errored)


def test_syntax_parse_is_a_redefine_on_a_scratch_domain(adapter: VirshAdapter) -> None:
    uuid = "11111111-2222-4333-8444-555555555555"
    xml = f"""<domainsnapshot><name>snap</name><state>shutoff</state>
<creationTime>1700000000</creationTime><memory snapshot='no'/>
<disks><disk name='vda' snapshot='internal'/></disks>
<domain type='qemu'><name>elsewhere</name><uuid>{uuid}</uuid><memory>65536</memory>
<os><type>hvm</type></os><devices><disk type='file' device='disk'>
<driver name='qemu' type='qcow2'/><source file='/images/vda.qcow2'/><target dev='vda'/>
</disk></devices></domain></domainsnapshot>"""
    out = adapter.run(Request(Level.SYNTAX, Operation.PARSE, xml))
    assert isinstance(out, Accepted), out
    # the document's own domain identity comes back, not the scratch domain's
    assert uuid in out.xml and "<name>elsewhere</name>" in out.xml
    assert "snapconform-r" not in out.xml


def test_dry_run_prints_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = VirshAdapter(TEST, options=HostOptions(root=tmp_path, dry_run=True))
    try:
        a.identify()
        out = a.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", _ctx(a)))
    finally:
        a.close()
    assert isinstance(out, Errored) and "dry run" in out.message
    printed = capsys.readouterr().err
    assert "qemu-img create" in printed and "virsh -c test:///default define" in printed
    assert "snapshot-create" in printed
    assert list(tmp_path.iterdir()) == []


def test_a_run_refuses_leftovers(tmp_path: Path) -> None:
    (tmp_path / "r0000beef").mkdir()
    (tmp_path / "r0000beef" / "lock").touch()
    a = VirshAdapter(TEST, options=HostOptions(root=tmp_path))
    try:
        with pytest.raises(AdapterError, match="snapconform cleanup --uri test:///default"):
            a.identify()
    finally:
        a.close()


def test_suite_on_the_test_driver_leaves_nothing(tmp_path: Path) -> None:
    before = inventory(TEST, tmp_path)
    proc = suite(f"virsh:{TEST}", tmp_path, "-k", "sem-mem or syntax-memory")
    out, _ = proc.communicate(timeout=300)
    assert " passed" in out, out
    assert "error" not in out.splitlines()[-1], out
    assert inventory(TEST, tmp_path) == before


@needs_qemu
def test_qemu_identify() -> None:
    a = VirshAdapter(QEMU, options=HostOptions(allow_host=True))
    try:
        details = a.identify().details
    finally:
        a.close()
    assert details["driver"] == "QEMU"
    assert details["hypervisor"].count(".") == 2


@needs_qemu
def test_suite_on_qemu_leaves_nothing(tmp_path: Path) -> None:
    with qemu_lock():
        before = our_inventory(QEMU, tmp_path)
        proc = suite(
            f"virsh:{QEMU}",
            tmp_path,
            "-k",
            "sem-mem-omit or sem-mem-external-running or sem-redef-existing or syntax-memory-no",
            SNAPCONFORM_ALLOW_HOST="1",
        )
        out, _ = proc.communicate(timeout=600)
        assert " passed" in out and " failed" not in out, out
        assert our_inventory(QEMU, tmp_path) == before


def test_flags_reach_libvirt(adapter: VirshAdapter) -> None:
    # the test driver refuses --disk-only: proof the flag was passed
    ctx = _ctx(adapter, flags=frozenset({Flag.DISK_ONLY}))
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", ctx))
    assert isinstance(out, Rejected) and "unsupported flags (0x10)" in out.message


def test_halt_on_a_transient_domain_is_libvirts_refusal(adapter: VirshAdapter) -> None:
    # seen live on libvirt 9.0 (test:///default and qemu:///system): code 55, this text
    ctx = _ctx(adapter, persistent=False, flags=frozenset({Flag.HALT}))
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", ctx))
    assert out == Rejected(
        kind=out.kind,  # type: ignore[union-attr]
        message="Requested operation is not valid: cannot halt after transient domain snapshot",
        code="VIR_ERR_OPERATION_INVALID",
    )


def test_virsh_halt_emulation_is_an_error_not_an_answer(adapter: VirshAdapter) -> None:
    # libvirt answers VIR_ERR_INVALID_ARG ("unsupported flags (0x10)", the binding shows it);
    # virsh then prints its own "cannot halt after snapshot of transient domain" instead:
    # judging that as libvirt's answer would fail a correct libvirt
    ctx = _ctx(adapter, persistent=False, flags=frozenset({Flag.HALT, Flag.DISK_ONLY}))
    out = adapter.run(Request(Level.SEMANTICS, Operation.CREATE, "<domainsnapshot/>", ctx))
    assert isinstance(out, Errored), out
    assert "--halt emulation" in out.message and "cannot halt after snapshot" in out.message


def test_redefine_with_halt_is_not_sent_through_virsh(adapter: VirshAdapter) -> None:
    # libvirt refuses the pair (VIR_ERR_INVALID_ARG); virsh would retry without --halt
    xml = (
        "<domainsnapshot><name>r1</name><state>running</state>"
        "<creationTime>1</creationTime></domainsnapshot>"
    )
    ctx = _ctx(adapter, flags=frozenset({Flag.HALT}))
    out = adapter.run(Request(Level.SEMANTICS, Operation.REDEFINE, xml, ctx))
    assert isinstance(out, Errored), out
    assert "virsh cannot send --redefine with --halt" in out.message
