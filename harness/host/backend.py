"""The host operations the harness needs, as one protocol (virsh and binding implement it).

Domains are always addressed by UUID, never by name. Every method raises
:class:`~harness.host.errors.LibvirtFailure` for libvirt's refusal and
:class:`~harness.host.errors.BackendDown` when the session or connection is unusable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from harness.contract import View

#: Snapshot creation flags by their virsh spelling (contract ``Flag`` values) plus
#: "redefine", in the order virsh prints them in its usage text.
SNAPSHOT_FLAGS = (
    "redefine",
    "current",
    "no-metadata",
    "halt",
    "disk-only",
    "reuse-external",
    "quiesce",
    "atomic",
    "live",
    "validate",
)

#: libvirt driver names as profiles spell them (virConnectGetType says "TEST").
DRIVER_NAMES = {"QEMU": "QEMU", "TEST": "Test"}


@dataclass(frozen=True)
class HostInfo:
    driver: str  # "QEMU", "Test", ...
    #: the libvirt that answers: the daemon's version (the client library's for a driver
    #: that lives in the client, like test:///)
    libvirt: str  # "9.0.0"
    hypervisor: str  # "7.2.22"
    uri: str
    #: the client library's version (virsh's, or the binding's), a detail only
    client: str = "unknown"
    #: the client command when it is not the host's own ``virsh`` (SNAPCONFORM_VIRSH, e.g. a
    #: release chroot's wrapper): the test driver lives in it, so provenance names it
    command: str | None = None
    #: the identity detail that names ``command``: "virsh", or "python" for a binding's
    command_detail: str = "virsh"


@dataclass(frozen=True)
class DomainRef:
    name: str
    uuid: str


@dataclass(frozen=True)
class Made:
    """What a snapshot create call itself said: the snapshot's name (if it said one), and
    the views it gave (the binding: the returned object's own XML; virsh: the printed name)."""

    name: str | None
    views: tuple[View, ...] = ()


def version_text(number: int) -> str:
    """libvirt's packed version number (major * 1e6 + minor * 1e3 + micro) as text."""
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def driver_name(raw: str) -> str:
    return DRIVER_NAMES.get(raw.upper(), raw)


class Backend(Protocol):
    uri: str
    #: True when each :meth:`fresh` starts from the driver's stock state (test driver)
    ephemeral: bool

    def info(self) -> HostInfo: ...

    def fresh(self) -> None:
        """Start a new session (for an ephemeral driver: from its stock state)."""

    def list_domains(self) -> list[DomainRef]: ...

    def domain_name(self, uuid: str) -> str | None:
        """The name of the domain with this UUID, or None if there is none."""

    def domain_xml(self, uuid: str, inactive: bool = False) -> str: ...

    def domain_state(self, uuid: str) -> str:
        """ "running", "paused", "shutoff" or another libvirt state word."""

    def define(self, xml: str) -> None: ...

    def create_transient(self, xml: str, paused: bool) -> None: ...

    def start(self, uuid: str, paused: bool) -> None: ...

    def suspend(self, uuid: str) -> None: ...

    def resume(self, uuid: str) -> None: ...

    def destroy(self, uuid: str) -> None: ...

    def undefine(self, uuid: str) -> None:
        """Undefine with its snapshot metadata (never its storage)."""

    def snapshot_create(self, uuid: str, xml: str, flags: tuple[str, ...]) -> Made:
        """Create or redefine; the name and views the call itself gave."""

    def snapshot_xml(self, uuid: str, name: str) -> str: ...

    def current_snapshot_xml(self, uuid: str) -> str: ...

    def current_view(self, uuid: str) -> View:
        """The current snapshot as this backend shows it (no name: there is none)."""

    def list_view(self, uuid: str, name: str) -> View:
        """Snapshot ``name`` as the listing of all snapshots shows it (no name: absent)."""

    def snapshot_names(self, uuid: str) -> list[str]: ...

    def snapshot_delete(self, uuid: str, name: str, metadata_only: bool) -> None: ...

    # ------------------------------------------------------------------ storage
    # (remote hosts only: pools and volumes are addressed by the pool's UUID and the
    # volume's name within it)

    def list_pools(self) -> list[DomainRef]:
        """Every storage pool, active or not (name, UUID)."""

    def pool_name(self, uuid: str) -> str | None:
        """The name of the pool with this UUID, or None if there is none."""

    def pool_xml(self, uuid: str) -> str: ...

    def pool_active(self, uuid: str) -> bool: ...

    def pool_define(self, xml: str) -> None: ...

    def pool_build(self, uuid: str) -> None:
        """Make the pool's target directory on the host."""

    def pool_start(self, uuid: str) -> None: ...

    def pool_refresh(self, uuid: str) -> None: ...

    def pool_destroy(self, uuid: str) -> None: ...

    def pool_delete(self, uuid: str) -> None:
        """Remove the (inactive) pool's target directory on the host."""

    def pool_undefine(self, uuid: str) -> None: ...

    def vol_create(self, pool: str, name: str, fmt: str, capacity: str) -> None:
        """A new volume (virsh vol-create-as / storageVolCreateXML); capacity as "64M"."""

    def vol_paths(self, pool: str) -> dict[str, str]:
        """name -> path of every volume the pool lists (refresh it first to see new files)."""

    def vol_delete(self, pool: str, name: str) -> None: ...

    def vol_read(self, pool: str, name: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the volume from ``offset`` (vol-download / virStorageVolDownload)."""

    def close(self) -> None: ...
