"""Plain data for a snapshot definition and the domain it belongs to.

Locations (``<memory snapshot=...>``, ``<disk snapshot=...>``) are the strings libvirt
writes (``no``, ``internal``, ``external``, ``manual``); ``None`` is libvirt's
``VIR_DOMAIN_SNAPSHOT_LOCATION_DEFAULT``: not decided yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

NO = "no"
INTERNAL = "internal"
EXTERNAL = "external"
MANUAL = "manual"

#: snapshot states libvirt knows (virDomainSnapshotState); index 0 is "nostate"
SNAPSHOT_STATES = (
    "nostate",
    "running",
    "blocked",
    "paused",
    "shutdown",
    "shutoff",
    "crashed",
    "pmsuspended",
    "disk-snapshot",
)
#: states in which a snapshot has no memory to save ("offline" in snapshot_conf.c)
OFFLINE_STATES = frozenset({"shutoff", "disk-snapshot"})
#: states counted as "online" when a redefinition replaces an existing snapshot
ONLINE_STATES = frozenset({"running", "paused"})


@dataclass
class StorageSource:
    """Where a snapshot disk's new image lives (``<source>`` plus ``<driver>``)."""

    type: str = "file"
    #: ``file`` (type file), ``dev`` (type block) or ``name`` (type network)
    path: str | None = None
    protocol: str | None = None
    #: ``<host>`` children of a network source, attributes in document order
    hosts: list[dict[str, str]] = field(default_factory=list)
    #: ``<driver type=...>``
    format: str | None = None
    #: ``<driver><metadata_cache><max_size>`` in bytes
    metadata_cache_max: int | None = None
    #: other children of ``<source>`` libvirt keeps (``<seclabel>``), copied verbatim
    extra: list[etree._Element] = field(default_factory=list)


@dataclass
class SnapshotDisk:
    name: str
    snapshot: str | None = None
    source: StorageSource = field(default_factory=StorageSource)
    delete_in_progress: bool = False


@dataclass
class DomainDisk:
    """One ``<disk>`` of the domain definition, reduced to what snapshots look at."""

    target: str
    type: str = "file"
    source: str | None = None
    format: str | None = None
    device: str = "disk"
    bus: str | None = None
    readonly: bool = False
    #: the domain-level ``<disk snapshot=...>``, after libvirt's post-parse defaults
    snapshot: str | None = None

    def is_empty(self) -> bool:
        return self.source is None


@dataclass
class Domain:
    """A domain definition: its disks for alignment, its element for output."""

    type: str | None
    name: str | None
    uuid: str | None
    disks: list[DomainDisk]
    element: etree._Element

    def find_disk(self, name: str) -> DomainDisk | None:
        """The disk ``name`` designates (``virDomainDiskByName``): a name with a leading
        ``/`` is a source path and must be unambiguous, any other name is a target."""
        if not name.startswith("/"):
            return next((d for d in self.disks if d.target == name), None)
        by_path = [d for d in self.disks if d.source == name]
        return by_path[0] if len(by_path) == 1 else None


@dataclass
class SnapshotDef:
    name: str | None = None
    description: str | None = None
    state: str | None = None
    parent: str | None = None
    creation_time: int | None = None
    memory: str | None = None
    memory_file: str | None = None
    disks: list[SnapshotDisk] = field(default_factory=list)
    #: the embedded domain libvirt parsed (``<domain type=...>``)
    domain: Domain | None = None
    #: an embedded ``<domain>`` without ``type`` (old metadata): kept only for output
    domain_stub: etree._Element | None = None
    inactive_domain: etree._Element | None = None
    cookie: etree._Element | None = None

    def is_external(self) -> bool:
        """``virDomainSnapshotDefIsExternal``: external memory or any external disk."""
        return self.memory == EXTERNAL or any(d.snapshot == EXTERNAL for d in self.disks)
