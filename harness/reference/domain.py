"""Domain definitions: built from a request's context, or read from an embedded
``<domain>`` of a snapshot document (redefine)."""

from __future__ import annotations

import uuid as uuidlib

from lxml import etree

from ..contract import Context, DiskSpec
from .model import EXTERNAL, INTERNAL, MANUAL, NO, Domain, DomainDisk

#: name of the scratch domain every request runs against
DOMAIN_NAME = "snapconform-reference"
#: its UUID when the request names none (fixed, so repeated runs give identical output)
DOMAIN_UUID = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, "snapconform:reference-domain"))

_DOMAIN_DISK_SNAPSHOT = (NO, INTERNAL, EXTERNAL, MANUAL)


def _post_parse(disk: DomainDisk) -> DomainDisk:
    """libvirt's disk post-parse: CD-ROMs are read-only, and a read-only disk without a
    ``snapshot`` attribute is never snapshotted (``domain_postparse.c``)."""
    if disk.device == "cdrom":
        disk.readonly = True
    if disk.snapshot is None and disk.readonly:
        disk.snapshot = NO
    return disk


def _disk_element(disk: DomainDisk) -> etree._Element:
    el = etree.Element("disk", type=disk.type, device=disk.device)
    # the domain formatter hides snapshot='no' that post-parse added to read-only disks
    if disk.snapshot is not None and not (disk.readonly and disk.snapshot == NO):
        el.set("snapshot", disk.snapshot)
    etree.SubElement(el, "driver", name="qemu", type=disk.format or "raw")
    if disk.source is not None:
        etree.SubElement(el, "source", {"dev" if disk.type == "block" else "file": disk.source})
    target = etree.SubElement(el, "target", dev=disk.target)
    if disk.bus:
        target.set("bus", disk.bus)
    if disk.readonly:
        etree.SubElement(el, "readonly")
    return el


def from_context(context: Context, domain_type: str) -> Domain:
    """The domain a semantics request runs against, as libvirt would hold it."""
    disks = [_post_parse(_from_spec(spec)) for spec in context.disks]
    uuid = context.uuid or DOMAIN_UUID
    root = etree.Element("domain", type=domain_type)
    etree.SubElement(root, "name").text = DOMAIN_NAME
    etree.SubElement(root, "uuid").text = uuid
    devices = etree.SubElement(root, "devices")
    for disk in disks:
        devices.append(_disk_element(disk))
    return Domain(type=domain_type, name=DOMAIN_NAME, uuid=uuid, disks=disks, element=root)


def _from_spec(spec: DiskSpec) -> DomainDisk:
    return DomainDisk(
        target=spec.target,
        type=spec.type,
        source=spec.source,
        format=spec.format,
        device=spec.device,
        bus=spec.bus,
        readonly=spec.readonly,
        snapshot=spec.snapshot,
    )


def from_element(element: etree._Element) -> Domain:
    """A domain definition embedded in a snapshot document, reduced to what snapshot
    alignment needs; the element itself is kept for output."""
    disks = []
    for node in element.iterfind("devices/disk"):
        source_node = node.find("source")
        source = None
        if source_node is not None:
            source = source_node.get("dev") or source_node.get("file") or None
        driver = node.find("driver")
        target = node.find("target")
        snapshot = node.get("snapshot")
        disks.append(
            _post_parse(
                DomainDisk(
                    target=target.get("dev", "") if target is not None else "",
                    type=node.get("type", "file"),
                    source=source,
                    format=driver.get("type") if driver is not None else None,
                    device=node.get("device", "disk"),
                    bus=target.get("bus") if target is not None else None,
                    readonly=node.find("readonly") is not None,
                    snapshot=snapshot if snapshot in _DOMAIN_DISK_SNAPSHOT else None,
                )
            )
        )
    uuid_text = element.findtext("uuid")
    return Domain(
        type=element.get("type"),
        name=element.findtext("name"),
        uuid=uuid_text.strip().lower() if uuid_text else None,
        disks=disks,
        element=element,
    )
