"""Parse rules of the reference implementation, one libvirt rule per test.

Sources: libvirt 9.0.0 ``virDomainSnapshotDefParse`` and
``virDomainSnapshotDiskDefParseXML`` (src/conf/snapshot_conf.c); the seed parser at commit
4201a7ea1c, whose message states that "an input that lacks the element will assume 'no' or
'internal' according to the domain state".
"""

from __future__ import annotations

import pytest

from harness.reference.errors import SnapshotError
from harness.reference.model import EXTERNAL, INTERNAL, NO
from harness.reference.parse import ParseOptions, parse
from harness.reference.profiles import Era

V9 = ParseOptions(era=Era.V9, redefine=True)
SEED = ParseOptions(era=Era.SEED, redefine=True)


def doc(body: str, state: str = "running") -> str:
    return (
        f"<domainsnapshot><name>s</name><state>{state}</state>"
        f"<creationTime>1</creationTime>{body}</domainsnapshot>"
    )


def error(text: str, opts: ParseOptions) -> SnapshotError:
    with pytest.raises(SnapshotError) as caught:
        parse(text, opts)
    return caught.value


@pytest.mark.parametrize("opts", [V9, SEED], ids=["9.0", "seed"])
def test_file_alone_means_external(opts: ParseOptions) -> None:
    # M3: "file present and snapshot absent => external", both eras
    snap = parse(doc("<memory file='/m'/>"), opts)
    assert (snap.memory, snap.memory_file) == (EXTERNAL, "/m")


@pytest.mark.parametrize(
    ("state", "memory"), [("running", INTERNAL), ("paused", INTERNAL), ("shutoff", NO)]
)
def test_missing_memory_follows_state(state: str, memory: str) -> None:
    # M5: on redefine an absent <memory> is 'no' for offline states, else 'internal'
    assert parse(doc("", state), V9).memory == memory


def test_external_without_file_rejected_in_9_0_only() -> None:
    # M7 exists in 9.0.0 ("external memory snapshots require a filename"); the seed had none
    text = doc("<memory snapshot='external'/>")
    err = error(text, V9)
    assert err.code == "VIR_ERR_XML_ERROR"
    assert "external memory snapshots require a filename" in err.message
    assert parse(text, SEED).memory == EXTERNAL


def test_relative_memory_file_rejected_in_9_0_only() -> None:
    # M9: g_path_is_absolute() check added after the seed
    text = doc("<memory file='mem.snap'/>")
    assert "memory snapshot file path (mem.snap) must be absolute" in error(text, V9).message
    assert parse(text, SEED).memory_file == "mem.snap"


def test_manual_memory_rejected() -> None:
    # M2: "'manual' memory snapshot mode not supported"
    err = error(doc("<memory snapshot='manual'/>"), V9)
    assert err.code == "VIR_ERR_XML_ERROR"
    assert "'manual' memory snapshot mode not supported" in err.message


@pytest.mark.parametrize("value", ["default", "bogus", ""])
def test_unknown_memory_mode_rejected(value: str) -> None:
    # M1: virXMLPropEnum with VIR_XML_PROP_NONZERO refuses "default" and unknown names
    err = error(doc(f"<memory snapshot='{value}'/>"), V9)
    assert err.message == (
        f"XML error: Invalid value for attribute 'snapshot' in element 'memory': '{value}'."
    )


def test_offline_state_cannot_save_memory() -> None:
    # M8: offline is recomputed from <state> on redefine
    err = error(doc("<memory snapshot='internal'/>", "shutoff"), V9)
    assert "memory state cannot be saved with offline or disk-only snapshot" in err.message


def test_source_implies_external_disk() -> None:
    # D6: no snapshot attribute, but a source path => external
    snap = parse(doc("<disks><disk name='vda'><source file='/o'/></disk></disks>"), V9)
    assert snap.disks[0].snapshot == EXTERNAL


def test_driver_alone_implies_external_disk() -> None:
    # D6: a <driver type> alone promotes the disk too
    snap = parse(doc("<disks><disk name='vda'><driver type='qcow2'/></disk></disks>"), V9)
    assert (snap.disks[0].snapshot, snap.disks[0].source.format) == (EXTERNAL, "qcow2")


def test_disk_without_name_is_internal_error() -> None:
    # D1: "missing name from disk snapshot element", VIR_ERR_INTERNAL_ERROR in both eras
    for opts in (V9, SEED):
        assert error(doc("<disks><disk snapshot='no'/></disks>"), opts).code == (
            "VIR_ERR_INTERNAL_ERROR"
        )


def test_relative_disk_path_rejected_in_9_0() -> None:
    # D5: "disk snapshot image path '%s' must be absolute"
    err = error(doc("<disks><disk name='vda'><source file='ov.qcow2'/></disk></disks>"), V9)
    assert "disk snapshot image path 'ov.qcow2' must be absolute" in err.message


@pytest.mark.parametrize("kind", ["dir", "volume"])
def test_dir_and_volume_disk_types_unsupported(kind: str) -> None:
    # D3: "unsupported disk snapshot type '%s'"
    err = error(doc(f"<disks><disk name='vda' type='{kind}'/></disks>"), V9)
    assert err.message == f"XML error: unsupported disk snapshot type '{kind}'"


def test_unknown_driver_is_config_unsupported() -> None:
    # D4: VIR_ERR_CONFIG_UNSUPPORTED "unknown disk snapshot driver"
    err = error(doc("<disks><disk name='vda'><driver type='bogus'/></disk></disks>"), V9)
    assert err.code == "VIR_ERR_CONFIG_UNSUPPORTED"


def test_wrong_root_element() -> None:
    err = error("<domain/>", V9)
    assert err.message == "XML error: expecting root element of 'domainsnapshot', not 'domain'"


def test_malformed_document_is_xml_detail() -> None:
    assert error("<domainsnapshot><name>", V9).code == "VIR_ERR_XML_DETAIL"


def test_nostate_accepted_by_seed_only() -> None:
    # 9.0.0 tests TypeFromString(...) <= 0; the seed tested < 0, letting "nostate" through
    assert error(doc("", "nostate"), V9).code == "VIR_ERR_CONFIG_UNSUPPORTED"
    assert parse(doc("", "nostate"), SEED).state == "nostate"


def test_required_fields_only_when_asked() -> None:
    required = ParseOptions(era=Era.V9, redefine=True, required=True)
    text = "<domainsnapshot><state>running</state><creationTime>1</creationTime></domainsnapshot>"
    assert "a redefined snapshot must have a name" in error(text, required).message
    assert parse(text, V9).name is None
