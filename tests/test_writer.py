"""The writer class (harness/writer.py): a writer-only library is judged by what the
documents it writes mean to libvirt; a writer that writes the wrong thing fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import writer
from harness.adapters.python import PythonAdapter
from harness.contract import Accepted, Rejected, RejectionKind, Unstored
from tests.impls import writers

NOVA = Path(__file__).resolve().parent.parent / "implementations" / "nova" / "writes.json"
STORED = """<domainsnapshot><name>n</name><memory snapshot='no'/><disks>
  <disk name='vda' snapshot='no'/>
  <disk name='vdb' snapshot='external' type='file'><driver type='qcow2'/>
    <source file='/s/vdb.new'/></disk></disks></domainsnapshot>"""
INTENT = writer.Intent(
    memory="no",
    disks=(
        writer.DiskIntent("vdb", "external", "@SCRATCH@/vdb.new", "qcow2"),
        writer.DiskIntent("vda", "no"),
    ),
)


def test_nova_cases_load_with_provenance() -> None:
    cases = writer.load_cases(NOVA)
    assert len(cases) >= 4
    assert all(c.provenance and c.intent.disks for c in cases)


def test_missing_provenance_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "w.json"
    bad.write_text(
        '{"cases": [{"id": "x", "inputs": {}, "context": {"state": "running"}, "intent": {}}]}'
    )
    with pytest.raises(writer.WriterError, match="provenance"):
        writer.load_cases(bad)


def test_stored_definition_with_the_meaning_passes() -> None:
    assert writer.judge(INTENT, Accepted(STORED), "/s") == ("pass", [])


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("snapshot='external'", "snapshot='internal'"), "disk vdb: meant external"),
        (("/s/vdb.new", "/s/other"), "meant source '/s/vdb.new'"),
        (("type='qcow2'", "type='raw'"), "meant format 'qcow2'"),
        (("<memory snapshot='no'/>", "<memory snapshot='internal'/>"), "memory: meant 'no'"),
        (("<disk name='vda' snapshot='no'/>", ""), "disk vda: meant no, not in"),
    ],
)
def test_stored_definition_off_the_meaning_fails(edit: tuple[str, str], problem: str) -> None:
    status, problems = writer.judge(INTENT, Accepted(STORED.replace(*edit)), "/s")
    assert status == "fail"
    assert any(problem in p for p in problems), problems


def test_unstored_effects_are_judged() -> None:
    good = ("created /s/vdb.new", "vdb: the disk's source is now /s/vdb.new")
    assert writer.judge(INTENT, Unstored(effects=good), "/s") == ("pass", [])
    wrong = ("vdb: the image holds internal snapshot 'x'",)
    assert writer.judge(INTENT, Unstored(effects=wrong), "/s")[0] == "fail"
    touched = (*good, "vda: the disk's source is now /s/vda.x")
    assert writer.judge(INTENT, Unstored(effects=touched), "/s")[0] == "fail"


def test_a_refusal_fails() -> None:
    refusal = Rejected(RejectionKind.INVALID, "no", "VIR_ERR_XML_ERROR")
    assert writer.judge(INTENT, refusal, "/s")[0] == "fail"


def _write(fn: Any) -> writer.Write:
    return lambda inputs: [fn(dict(i)) for i in inputs]


def _run(fn: Any, impl: Any) -> list[str]:
    cases = writer.load_cases(NOVA)
    return [v.status for v in writer.run_cases(cases, _write(fn), impl)]


def test_through_the_reference_right_passes_wrong_fails() -> None:
    """The reference models libvirt 9.0's semantics: quick, and no host needed. The live
    judgement is the virsh test below and CI's run on qemu:///system."""
    impl = PythonAdapter("harness.reference")
    try:
        assert set(_run(writers.right, impl)) == {"pass"}
        assert set(_run(writers.internal, impl)) == {"fail"}
        assert set(_run(writers.elsewhere, impl)) == {"fail"}
    finally:
        impl.close()


@pytest.mark.needs("virsh", "qemu-img", "libvirtd")
def test_live_qemu_right_passes_wrong_fails(tmp_path: Path) -> None:
    from harness.adapters.virsh import VirshAdapter
    from harness.host.safety import HostOptions

    impl = VirshAdapter("qemu:///system", options=HostOptions(root=tmp_path, allow_host=True))
    try:
        assert set(_run(writers.right, impl)) == {"pass"}
        assert set(_run(writers.internal, impl)) == {"fail"}
    finally:
        impl.close()


@pytest.mark.needs("virsh")
def test_test_driver_cannot_judge_disk_only(tmp_path: Path) -> None:
    """test:///default has no disk-only snapshots: the cases are not applicable there, not
    failed (the least document is refused the same way)."""
    from harness.adapters.virsh import VirshAdapter
    from harness.host.safety import HostOptions

    impl = VirshAdapter("test:///default", options=HostOptions(root=tmp_path))
    try:
        assert set(_run(writers.internal, impl)) == {"not-applicable"}
    finally:
        impl.close()
