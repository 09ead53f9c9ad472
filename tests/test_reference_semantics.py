"""Create and redefine through the wire interface, per profile.

Sources: qemuSnapshotCreateXML / qemuSnapshotCreateAlignDisks / qemuSnapshotPrepare
(src/qemu/qemu_snapshot.c), testDomainSnapshotCreateXML (src/test/test_driver.c), the
public API checks of virDomainSnapshotCreateXML (src/libvirt-domain-snapshot.c) and the
seed commit's 1.0.1 table.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from harness.contract import outcome_from_wire
from harness.reference import Reference, identify, libvirt_9_0_qemu, run

VDA = {"target": "vda", "source": "/scratch/vda.qcow2", "format": "qcow2"}


def request(
    xml: str, *, operation: str = "create", state: str = "running", **context: Any
) -> dict[str, Any]:
    ctx = {"state": state, "flags": [], "disks": [VDA], "existing": [], **context}
    return {"contract": "1", "level": "semantics", "operation": operation, "xml": xml,
            "context": ctx}  # fmt: skip


def accepted(answer: dict[str, Any]) -> etree._Element:
    assert answer["outcome"] == "accepted", answer
    return etree.fromstring(answer["xml"])


def rejected(answer: dict[str, Any], code: str) -> str:
    assert answer["outcome"] == "rejected", answer
    assert answer["code"] == code, answer
    message = answer["message"]
    assert isinstance(message, str)
    return message


def at(root: etree._Element, path: str) -> etree._Element:
    """The element at ``path``, which must exist."""
    found = root.find(path)
    assert found is not None, path
    return found


EMPTY = "<domainsnapshot><name>s</name></domainsnapshot>"


def test_identify_answers_the_contract() -> None:
    ident = identify()
    assert ident["profile"] == "libvirt-9.0-qemu"
    assert set(ident["levels"]) == {"syntax", "semantics"}
    assert Reference("plan-1.0.1").identify()["profile"] == "plan-1.0.1"


def test_every_answer_is_on_contract() -> None:
    for xml in (EMPTY, "<domainsnapshot>", "<bogus/>"):
        outcome_from_wire(run(request(xml)))


def test_running_default_is_internal_memory_and_disks() -> None:
    # qemuSnapshotCreateAlignDisks: memory defaults to internal on an active domain
    root = accepted(run(request(EMPTY)))
    assert root.findtext("state") == "running"
    assert at(root, "memory").get("snapshot") == "internal"
    assert dict(at(root, "disks/disk").items()) == {"name": "vda", "snapshot": "internal"}


def test_shutoff_default_is_no_memory() -> None:
    root = accepted(run(request(EMPTY, state="shutoff")))
    assert (root.findtext("state"), at(root, "memory").get("snapshot")) == ("shutoff", "no")


def test_generated_name_is_creation_time() -> None:
    # virDomainMomentDefPostParse: a snapshot without a name is named after its creation
    root = accepted(Reference("libvirt-9.0-qemu", clock=lambda: 1234.5).run(
        request("<domainsnapshot/>")))  # fmt: skip
    assert (root.findtext("name"), root.findtext("creationTime")) == ("1234", "1234")


def test_qemu_active_without_memory_needs_disk_only() -> None:
    message = rejected(
        run(request("<domainsnapshot><memory snapshot='no'/></domainsnapshot>")),
        "VIR_ERR_OPERATION_UNSUPPORTED",
    )
    assert "internal snapshot of a running VM must include the memory state" in message


def test_disk_only_on_running_domain_gives_external_overlay_with_qcow2_driver() -> None:
    root = accepted(run(request(EMPTY, flags=["disk-only"])))
    assert root.findtext("state") == "disk-snapshot"
    disk = at(root, "disks/disk")
    assert (disk.get("snapshot"), disk.get("type")) == ("external", "file")
    assert at(disk, "driver").get("type") == "qcow2"
    assert at(disk, "source").get("file") == "/scratch/vda.s"


def test_internal_snapshot_of_raw_disk_unsupported() -> None:
    raw = {**VDA, "format": "raw"}
    message = rejected(run(request(EMPTY, disks=[raw])), "VIR_ERR_CONFIG_UNSUPPORTED")
    assert "internal snapshot for disk vda unsupported for storage type raw" in message


def test_test_driver_rejects_disk_only_flag() -> None:
    # testDomainSnapshotCreateXML: virCheckFlags without DISK_ONLY (0x10)
    answer = Reference("libvirt-9.0-test").run(request(EMPTY, flags=["disk-only"]))
    # the whole text as libvirt 9.0 prints it (virCheckFlags adds no "invalid argument: ")
    message = rejected(answer, "VIR_ERR_INVALID_ARG")
    assert message == "unsupported flags (0x10) in function testDomainSnapshotCreateXML"


def test_flag_pair_messages_have_no_prefix() -> None:
    # seen live on libvirt 9.0 (binding, code 8): the text alone
    xml = "<domainsnapshot><name>r1</name><state>running</state></domainsnapshot>"
    answer = run(request(xml, operation="redefine", flags=["halt"]))
    assert rejected(answer, "VIR_ERR_INVALID_ARG") == (
        "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' and 'VIR_DOMAIN_SNAPSHOT_CREATE_HALT' "
        "are mutually exclusive"
    )


@pytest.mark.parametrize("profile", ["libvirt-9.0-qemu", "libvirt-9.0-test"])
def test_halt_on_a_transient_domain(profile: str) -> None:
    # seen live on libvirt 9.0, qemu:///system and test:///default, code 55
    answer = Reference(profile).run(request(EMPTY, persistent=False, flags=["halt"]))
    assert rejected(answer, "VIR_ERR_OPERATION_INVALID") == (
        "Requested operation is not valid: cannot halt after transient domain snapshot"
    )


def test_test_driver_turns_offline_internal_memory_into_no() -> None:
    # the test driver never sets PARSE_OFFLINE and forces memory from the domain state
    xml = "<domainsnapshot><memory snapshot='internal'/></domainsnapshot>"
    root = accepted(Reference("libvirt-9.0-test").run(request(xml, state="shutoff")))
    assert at(root, "memory").get("snapshot") == "no"
    rejected(run(request(xml, state="shutoff")), "VIR_ERR_XML_ERROR")


def test_current_flag_requires_redefine() -> None:
    message = rejected(run(request(EMPTY, flags=["current"])), "VIR_ERR_INVALID_ARG")
    assert "is required by flag 'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'" in message


EXISTING = (
    "<domainsnapshot><name>{name}</name><state>running</state>"
    "<creationTime>1</creationTime>{parent}<domain type='qemu'><name>d</name>"
    "<uuid>{uuid}</uuid><devices><disk type='file' device='disk'>"
    "<source file='/scratch/vda.qcow2'/><target dev='vda'/></disk></devices></domain>"
    "</domainsnapshot>"
)


def existing(name: str, parent: str | None = None) -> str:
    from harness.reference.domain import DOMAIN_UUID

    return EXISTING.format(
        name=name,
        uuid=DOMAIN_UUID,
        parent=f"<parent><name>{parent}</name></parent>" if parent else "",
    )


def test_redefine_fills_memory_and_aligns_disks() -> None:
    root = accepted(run(request(existing("r1"), operation="redefine")))
    assert at(root, "memory").get("snapshot") == "internal"
    assert at(root, "disks/disk").get("snapshot") == "internal"


def test_redefine_needs_known_parent() -> None:
    answer = run(request(existing("r1", parent="nosuch"), operation="redefine"))
    assert "parent nosuch for moment r1 not found" in rejected(answer, "VIR_ERR_INVALID_ARG")
    ok = run(request(existing("r1", parent="r0"), operation="redefine",
                     existing=[existing("r0")]))  # fmt: skip
    assert accepted(ok).findtext("parent/name") == "r0"


def test_redefine_cannot_switch_online_to_offline() -> None:
    changed = existing("r1").replace("running", "shutoff")
    answer = run(request(changed, operation="redefine", existing=[existing("r1")]))
    assert "cannot change between online and offline" in rejected(answer, "VIR_ERR_INVALID_ARG")


def test_redefine_without_domain_type_is_missing_domain() -> None:
    xml = ("<domainsnapshot><name>r</name><state>running</state><creationTime>1"
           "</creationTime><domain><uuid>x</uuid></domain></domainsnapshot>")  # fmt: skip
    answer = run(request(xml, operation="redefine"))
    assert "missing domain in snapshot" in rejected(answer, "VIR_ERR_INTERNAL_ERROR")


@pytest.mark.parametrize(
    ("state", "xml", "flags", "kind"),
    [
        # "offline omit/no no any | invalid combination (nothing to snapshot)"
        ("shutoff", "<disks><disk name='vda' snapshot='no'/></disks>", [], "invalid"),
        # "online ext int off | unsupported for now"
        (
            "running",
            "<memory file='/m'/><disks><disk name='vda' snapshot='internal'/></disks>",
            [],
            "unsupported",
        ),
        # "online int/ext any on | invalid combination (disk-only vs. memory)"
        ("running", "<memory snapshot='internal'/>", ["disk-only"], "invalid"),
    ],
)
def test_plan_refusals(state: str, xml: str, flags: list[str], kind: str) -> None:
    answer = Reference("plan-1.0.1").run(
        request(f"<domainsnapshot>{xml}</domainsnapshot>", state=state, flags=flags)
    )
    assert (answer["outcome"], answer["kind"]) == ("rejected", kind)


def test_plan_offline_external_disk_is_accepted() -> None:
    # "offline omit/no ext any | memory=no disk=ext, via qemu-img"
    xml = "<domainsnapshot><disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>"
    root = accepted(Reference("plan-1.0.1").run(request(xml, state="shutoff")))
    assert at(root, "memory").get("snapshot") == "no"
    disk = at(root, "disks/disk")
    assert disk.get("snapshot") == "external" and disk.get("type") is None


def test_default_instance_is_qemu() -> None:
    assert libvirt_9_0_qemu.profile.name == "libvirt-9.0-qemu"
