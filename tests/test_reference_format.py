"""Formatting: libvirt's element order and each era's optional parts.

9.0.0: virDomainSnapshotDefFormatInternal / virDomainSnapshotDiskDefFormat
(src/conf/snapshot_conf.c); seed: virDomainSnapshotDefFormat at 4201a7ea1c.
"""

from __future__ import annotations

from lxml import etree

from harness.reference.format import format_snapshot
from harness.reference.model import EXTERNAL, NO, SnapshotDef, SnapshotDisk, StorageSource
from harness.reference.profiles import Era


def at(root: etree._Element, path: str) -> etree._Element:
    """The element at ``path``, which must exist."""
    found = root.find(path)
    assert found is not None, path
    return found


def sample() -> SnapshotDef:
    return SnapshotDef(
        name="s",
        description="d",
        state="disk-snapshot",
        parent="p",
        creation_time=7,
        memory=NO,
        disks=[SnapshotDisk("vda", EXTERNAL, StorageSource(path="/o", format="qcow2"))],
    )


def test_element_order() -> None:
    root = etree.fromstring(format_snapshot(sample(), Era.V9))
    assert [c.tag for c in root] == [
        "name", "description", "state", "parent", "creationTime", "memory", "disks",
    ]  # fmt: skip


def test_disk_type_attribute_and_children_order_in_9_0() -> None:
    disk = at(etree.fromstring(format_snapshot(sample(), Era.V9)), "disks/disk")
    assert disk.get("type") == "file"
    assert [c.tag for c in disk] == ["driver", "source"]


def test_seed_has_no_disk_type() -> None:
    disk = at(etree.fromstring(format_snapshot(sample(), Era.SEED)), "disks/disk")
    assert disk.get("type") is None
    assert [c.tag for c in disk] == ["driver", "source"]


def test_state_and_creation_time_only_when_set_in_9_0() -> None:
    bare = SnapshotDef(name="s")
    assert [c.tag for c in etree.fromstring(format_snapshot(bare, Era.V9))] == ["name"]
    seed = etree.fromstring(format_snapshot(bare, Era.SEED))
    assert (seed.findtext("state"), seed.findtext("creationTime")) == ("nostate", "0")
