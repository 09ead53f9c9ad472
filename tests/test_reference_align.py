"""Disk alignment (``virDomainSnapshotAlignDisks``, src/conf/snapshot_conf.c, 9.0.0)."""

from __future__ import annotations

import pytest
from lxml import etree

from harness.reference.align import align_disks, external_name
from harness.reference.errors import SnapshotError
from harness.reference.model import (
    EXTERNAL,
    INTERNAL,
    NO,
    Domain,
    DomainDisk,
    SnapshotDef,
    SnapshotDisk,
)
from harness.reference.profiles import Era


def domain(*disks: DomainDisk) -> Domain:
    return Domain("qemu", "d", None, list(disks), etree.Element("domain"))


def snapshot(*disks: SnapshotDisk) -> SnapshotDef:
    return SnapshotDef(name="snap", disks=list(disks))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("/r/q.qcow2", "/r/q.snap"),
        ("/r/q.tar.qcow2", "/r/q.tar.snap"),
        ("/r/qimg", "/r/qimg.snap"),
        ("/r/d.x/qimg", "/r/d.x/qimg.snap"),
    ],
)
def test_external_name_drops_last_extension_of_file_name(source: str, expected: str) -> None:
    # virDomainSnapshotDefAssignExternalNames: strrchr('.') only within the last component
    assert external_name(source, "snap") == expected


def test_output_follows_domain_order_and_fills_unlisted_disks() -> None:
    # A8/A9: every domain disk appears once, in domain order; an empty drive gets "no"
    dom = domain(
        DomainDisk("vda", source="/r/a.qcow2"),
        DomainDisk("hdc", device="cdrom"),
        DomainDisk("vdb", source="/r/b.qcow2"),
    )
    snap = snapshot(SnapshotDisk("vdb"))
    align_disks(snap, dom, INTERNAL, uniform=True, era=Era.V9)
    assert [(d.name, d.snapshot) for d in snap.disks] == [
        ("vda", INTERNAL),
        ("hdc", NO),
        ("vdb", INTERNAL),
    ]


def test_path_name_is_rewritten_to_target() -> None:
    # A3: a name that is a source path designates that disk; output uses the target
    snap = snapshot(SnapshotDisk("/r/a.qcow2"))
    align_disks(snap, domain(DomainDisk("vda", source="/r/a.qcow2")), INTERNAL, uniform=True,
                era=Era.V9)  # fmt: skip
    assert snap.disks[0].name == "vda"


def test_too_many_requests_checked_before_duplicates() -> None:
    # A2 before A4: two vda entries on a one-disk domain
    snap = snapshot(SnapshotDisk("vda"), SnapshotDisk("vda"))
    with pytest.raises(SnapshotError, match="too many disk snapshot requests for domain"):
        align_disks(snap, domain(DomainDisk("vda", source="/a")), INTERNAL, uniform=True,
                    era=Era.V9)  # fmt: skip


def test_uniform_internal_refuses_other_explicit_modes() -> None:
    # A6: "disk 'vda' must use snapshot mode 'internal'"
    snap = snapshot(SnapshotDisk("vda", snapshot=EXTERNAL))
    with pytest.raises(SnapshotError, match="disk 'vda' must use snapshot mode 'internal'"):
        align_disks(snap, domain(DomainDisk("vda", source="/a")), INTERNAL, uniform=True,
                    era=Era.V9)  # fmt: skip


def test_listed_disk_without_mode_ignores_domain_external_under_uniform() -> None:
    # A5: the domain's snapshot='external' is taken only when not uniform-internal
    snap = snapshot(SnapshotDisk("vda"))
    dom = domain(DomainDisk("vda", source="/a.qcow2", snapshot=EXTERNAL))
    align_disks(snap, dom, INTERNAL, uniform=True, era=Era.V9)
    assert snap.disks[0].snapshot == INTERNAL


def test_generated_names_must_not_collide() -> None:
    # A10: a.qcow2 and a.img both become a.snap
    dom = domain(DomainDisk("vda", source="/r/a.qcow2"), DomainDisk("vdb", source="/r/a.img"))
    with pytest.raises(SnapshotError, match="collision with disk 'vda'"):
        align_disks(snapshot(), dom, EXTERNAL, uniform=True, era=Era.V9)


def test_no_domain_means_missing_domain() -> None:
    # A1
    with pytest.raises(SnapshotError, match="missing domain in snapshot") as caught:
        align_disks(snapshot(), None, INTERNAL, uniform=True, era=Era.V9)
    assert caught.value.code == "VIR_ERR_INTERNAL_ERROR"
