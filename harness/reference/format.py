"""SnapshotDef -> XML text in libvirt's element order.

9.0.0: ``virDomainSnapshotDefFormatInternal`` (``<state>`` and ``<creationTime>`` only when
set; a disk with a path or a format carries ``type='file|block|network'``). The seed always
wrote ``<state>`` and ``<creationTime>`` and had no disk ``type``.
"""

from __future__ import annotations

import copy

from lxml import etree

from .model import SnapshotDef, SnapshotDisk, StorageSource
from .profiles import Era


def format_snapshot(snap: SnapshotDef, era: Era) -> str:
    seed = era is Era.SEED
    root = etree.Element("domainsnapshot")
    if snap.name is not None:  # virBufferEscapeString prints nothing for NULL
        _text(root, "name", snap.name)
    if snap.description is not None:
        _text(root, "description", snap.description)
    if snap.state is not None or seed:
        _text(root, "state", snap.state or "nostate")
    if snap.parent is not None:
        _text(etree.SubElement(root, "parent"), "name", snap.parent)
    if snap.creation_time or seed:
        _text(root, "creationTime", str(snap.creation_time or 0))
    if snap.memory is not None:
        memory = etree.SubElement(root, "memory", snapshot=snap.memory)
        if snap.memory_file is not None:
            memory.set("file", snap.memory_file)
    if snap.disks:
        disks = etree.SubElement(root, "disks")
        for disk in snap.disks:
            disks.append(_disk(disk, seed))
    if snap.domain is not None:
        root.append(copy.deepcopy(snap.domain.element))
    elif snap.domain_stub is not None:
        root.append(copy.deepcopy(snap.domain_stub))
    for extra in (snap.inactive_domain, snap.cookie):
        if extra is not None and not seed:
            root.append(copy.deepcopy(extra))
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode") + "\n"


def _text(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _disk(disk: SnapshotDisk, seed: bool) -> etree._Element:
    el = etree.Element("disk", name=disk.name)
    if disk.snapshot is not None:
        el.set("snapshot", disk.snapshot)
    src = disk.source
    if src.path is None and src.format is None:
        return el
    if seed:
        if src.format is not None:
            etree.SubElement(el, "driver", type=src.format)
        if src.path is not None:
            etree.SubElement(el, "source", file=src.path)
        return el
    el.set("type", src.type)
    if disk.delete_in_progress:
        etree.SubElement(el, "snapshotDeleteInProgress")
    driver = etree.Element("driver")
    if src.format is not None:
        driver.set("type", src.format)
    if src.metadata_cache_max is not None:
        cache = etree.SubElement(driver, "metadata_cache")
        etree.SubElement(cache, "max_size", unit="bytes").text = str(src.metadata_cache_max)
    if len(driver.attrib) or len(driver):
        el.append(driver)
    source = _source(src)
    if source is not None:
        el.append(source)
    return el


def _source(src: StorageSource) -> etree._Element | None:
    source = etree.Element("source")
    if src.type == "network":
        if src.protocol is not None:
            source.set("protocol", src.protocol)
        if src.path is not None:
            source.set("name", src.path)
        for host in src.hosts:
            etree.SubElement(source, "host", host)
    elif src.path is not None:
        source.set("dev" if src.type == "block" else "file", src.path)
    for extra in src.extra:
        source.append(copy.deepcopy(extra))
    return source if len(source.attrib) or len(source) else None
