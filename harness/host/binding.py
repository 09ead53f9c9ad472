"""The host protocol over the libvirt Python binding, or any module shaped like it.

The module needs ``open(uri)``, the ``libvirtError`` exception (with ``get_error_code()``),
the ``VIR_ERR_*`` code constants and the connection/domain/snapshot methods used below.
Flag constants are read from the module when it has them, else libvirt's stable values.
Each call runs in a daemon thread with a timeout: a stuck call costs one case.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from xml.sax.saxutils import escape

from harness.contract import View
from harness.host.backend import DomainRef, HostInfo, Made, driver_name, version_text
from harness.host.errors import BackendDown, LibvirtFailure

T = TypeVar("T")

#: libvirt's stable flag values (include/libvirt/libvirt-domain-snapshot.h and -domain.h)
_SNAPSHOT_FLAGS = {
    "redefine": ("VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE", 1 << 0),
    "current": ("VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT", 1 << 1),
    "no-metadata": ("VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA", 1 << 2),
    "halt": ("VIR_DOMAIN_SNAPSHOT_CREATE_HALT", 1 << 3),
    "disk-only": ("VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY", 1 << 4),
    "reuse-external": ("VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT", 1 << 5),
    "quiesce": ("VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE", 1 << 6),
    "atomic": ("VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC", 1 << 7),
    "live": ("VIR_DOMAIN_SNAPSHOT_CREATE_LIVE", 1 << 8),
    "validate": ("VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE", 1 << 9),
}
_OTHER = {
    "VIR_DOMAIN_START_PAUSED": 1 << 0,
    "VIR_DOMAIN_XML_INACTIVE": 1 << 1,
    "VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA": 1 << 1,
    "VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY": 1 << 1,
    "VIR_DOMAIN_NONE": 0,
}
#: virDomainState numbers -> state words (as virsh spells them, without the space)
_STATES = {
    0: "nostate",
    1: "running",
    2: "blocked",
    3: "paused",
    4: "shutdown",
    5: "shutoff",
    6: "crashed",
    7: "pmsuspended",
}


def volume_xml(name: str, fmt: str, capacity: str) -> str:
    """A volume of ``capacity`` ("64M": a number and an optional K/M/G suffix) and format."""
    units = {"K": "KiB", "M": "MiB", "G": "GiB"}
    number, unit = capacity, "B"
    if capacity[-1] in units:
        number, unit = capacity[:-1], units[capacity[-1]]
    return (
        f"<volume><name>{escape(name)}</name><capacity unit='{unit}'>{int(number)}</capacity>"
        f"<target><format type='{fmt}'/></target></volume>"
    )


_CREATED = "snapshotCreateXML().getXMLDesc()"
_CURRENT = "snapshotCurrent().getXMLDesc()"
_LISTED = "listAllSnapshots()[...].getXMLDesc()"


class BindingBackend:
    def __init__(self, module: Any, uri: str, *, timeout: float = 60.0) -> None:
        self.module = module
        self.uri = uri
        # the test driver's state outlives a connection inside this process: not ephemeral
        self.ephemeral = False
        self.timeout = timeout
        self._conn: Any = None
        self._codes = {
            getattr(module, n): n
            for n in dir(module)
            if n.startswith("VIR_ERR_")
            and n not in ("VIR_ERR_NONE", "VIR_ERR_WARNING", "VIR_ERR_ERROR")
            and isinstance(getattr(module, n), int)
        }
        register = getattr(module, "registerErrorHandler", None)
        if callable(register):  # keep libvirt from printing every error on stderr
            register(lambda _ctx, _err: None, None)

    # ------------------------------------------------------------------ plumbing

    def _flag(self, name: str) -> int:
        return int(getattr(self.module, name, _OTHER[name]))

    def _call(self, fn: Callable[[], T], what: str) -> T:
        box: list[tuple[bool, Any]] = []

        def work() -> None:
            try:
                box.append((True, fn()))
            except BaseException as exc:  # handed to the caller's thread below
                box.append((False, exc))

        thread = threading.Thread(target=work, daemon=True, name="snapconform-libvirt")
        thread.start()
        thread.join(self.timeout)
        if not box:
            self._conn = None  # a stuck connection is not reused
            raise BackendDown(f"libvirt did not answer {what} within {self.timeout:g} s")
        ok, value = box[0]
        if ok:
            return value  # type: ignore[no-any-return]
        error_type = getattr(self.module, "libvirtError", None)
        if error_type is not None and isinstance(value, error_type):
            number = value.get_error_code()
            code = self._codes.get(number, f"VIR_ERR_{number}")
            message = value.get_error_message() or str(value)
            raise LibvirtFailure(str(message), code)
        raise BackendDown(f"{what} raised {type(value).__name__}: {value}") from value

    def _c(self) -> Any:
        if self._conn is None:
            self._conn = self._call(lambda: self.module.open(self.uri), f"open({self.uri!r})")
        return self._conn

    def _dom(self, uuid: str) -> Any:
        conn = self._c()
        return self._call(lambda: conn.lookupByUUIDString(uuid), f"lookupByUUIDString({uuid})")

    # ------------------------------------------------------------------ protocol

    def info(self) -> HostInfo:
        conn = self._c()
        return HostInfo(
            driver=driver_name(str(self._call(conn.getType, "getType()"))),
            libvirt=version_text(int(self._call(conn.getLibVersion, "getLibVersion()"))),
            hypervisor=version_text(int(self._call(conn.getVersion, "getVersion()"))),
            uri=str(self._call(conn.getURI, "getURI()")),
            client=self._client_version(),
            command=getattr(self.module, "CLIENT_COMMAND", None) or None,
            command_detail="python",
        )

    def _client_version(self) -> str:
        """The binding's own library (``libvirt.getVersion()``, virGetVersion), a detail: a
        connection's getLibVersion() is the daemon's."""
        get = getattr(self.module, "getVersion", None)
        if get is None:
            return "unknown"
        try:
            return version_text(int(get()))
        except Exception:  # a mock without it, or a failing one: only a detail
            return "unknown"

    def fresh(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(LibvirtFailure, BackendDown):
                self._call(conn.close, "close()")

    def list_domains(self) -> list[DomainRef]:
        conn = self._c()
        doms = self._call(lambda: conn.listAllDomains(0), "listAllDomains()")
        return [DomainRef(str(d.name()), str(d.UUIDString())) for d in doms]

    def domain_name(self, uuid: str) -> str | None:
        try:
            return str(self._dom(uuid).name())
        except LibvirtFailure as exc:
            if exc.code == "VIR_ERR_NO_DOMAIN":
                return None
            raise

    def domain_xml(self, uuid: str, inactive: bool = False) -> str:
        dom = self._dom(uuid)
        flags = self._flag("VIR_DOMAIN_XML_INACTIVE") if inactive else 0
        return str(self._call(lambda: dom.XMLDesc(flags), "XMLDesc()"))

    def domain_state(self, uuid: str) -> str:
        dom = self._dom(uuid)
        state = self._call(dom.state, "state()")
        return _STATES.get(int(state[0]), str(state[0]))

    def define(self, xml: str) -> None:
        conn = self._c()
        self._call(lambda: conn.defineXML(xml), "defineXML()")

    def create_transient(self, xml: str, paused: bool) -> None:
        conn = self._c()
        flags = self._flag("VIR_DOMAIN_START_PAUSED") if paused else 0
        self._call(lambda: conn.createXML(xml, flags), "createXML()")

    def start(self, uuid: str, paused: bool) -> None:
        dom = self._dom(uuid)
        flags = self._flag("VIR_DOMAIN_START_PAUSED") if paused else 0
        self._call(lambda: dom.createWithFlags(flags), "createWithFlags()")

    def suspend(self, uuid: str) -> None:
        dom = self._dom(uuid)
        self._call(dom.suspend, "suspend()")

    def resume(self, uuid: str) -> None:
        dom = self._dom(uuid)
        self._call(dom.resume, "resume()")

    def destroy(self, uuid: str) -> None:
        dom = self._dom(uuid)
        self._call(dom.destroy, "destroy()")

    def undefine(self, uuid: str) -> None:
        dom = self._dom(uuid)
        flags = self._flag("VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA")
        self._call(lambda: dom.undefineFlags(flags), "undefineFlags()")

    def snapshot_create(self, uuid: str, xml: str, flags: tuple[str, ...]) -> Made:
        dom = self._dom(uuid)
        bits = 0
        for f in flags:
            name, value = _SNAPSHOT_FLAGS[f]
            bits |= int(getattr(self.module, name, value))
        snap = self._call(lambda: dom.snapshotCreateXML(xml, bits), "snapshotCreateXML()")
        if snap is None:
            return Made(None, (View("snapshotCreateXML() (returned None)"),))
        return Made(str(self._call(snap.getName, "getName()")), (self._view(snap, _CREATED),))

    def _view(self, snap: Any, source: str) -> View:
        """A snapshot object's name and XML; no XML when getXMLDesc() fails."""
        name = str(self._call(snap.getName, "getName()"))
        try:
            return View(source, name, str(self._call(lambda: snap.getXMLDesc(0), "getXMLDesc()")))
        except LibvirtFailure:
            return View(source)  # the object is there, but does not show the snapshot

    def current_view(self, uuid: str) -> View:
        dom = self._dom(uuid)
        try:
            snap = self._call(lambda: dom.snapshotCurrent(0), "snapshotCurrent()")
        except LibvirtFailure as exc:
            if exc.code == "VIR_ERR_NO_DOMAIN_SNAPSHOT":
                return View(_CURRENT)
            raise
        return self._view(snap, _CURRENT)

    def list_view(self, uuid: str, name: str) -> View:
        dom = self._dom(uuid)
        snaps = self._call(lambda: dom.listAllSnapshots(0), "listAllSnapshots()")
        for snap in snaps:
            if str(self._call(snap.getName, "getName()")) == name:
                return self._view(snap, _LISTED)
        return View(_LISTED)

    def snapshot_xml(self, uuid: str, name: str) -> str:
        dom = self._dom(uuid)
        snap = self._call(lambda: dom.snapshotLookupByName(name, 0), "snapshotLookupByName()")
        return str(self._call(lambda: snap.getXMLDesc(0), "getXMLDesc()"))

    def current_snapshot_xml(self, uuid: str) -> str:
        dom = self._dom(uuid)
        snap = self._call(lambda: dom.snapshotCurrent(0), "snapshotCurrent()")
        return str(self._call(lambda: snap.getXMLDesc(0), "getXMLDesc()"))

    def snapshot_names(self, uuid: str) -> list[str]:
        dom = self._dom(uuid)
        return [str(n) for n in self._call(lambda: dom.snapshotListNames(0), "snapshotListNames()")]

    def snapshot_delete(self, uuid: str, name: str, metadata_only: bool) -> None:
        dom = self._dom(uuid)
        snap = self._call(lambda: dom.snapshotLookupByName(name, 0), "snapshotLookupByName()")
        flags = self._flag("VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY") if metadata_only else 0
        self._call(lambda: snap.delete(flags), "delete()")

    # ------------------------------------------------------------------ storage

    def _pool(self, uuid: str) -> Any:
        conn = self._c()
        what = f"storagePoolLookupByUUIDString({uuid})"
        return self._call(lambda: conn.storagePoolLookupByUUIDString(uuid), what)

    def list_pools(self) -> list[DomainRef]:
        conn = self._c()
        pools = self._call(lambda: conn.listAllStoragePools(0), "listAllStoragePools()")
        return [DomainRef(str(p.name()), str(p.UUIDString())) for p in pools]

    def pool_name(self, uuid: str) -> str | None:
        try:
            return str(self._pool(uuid).name())
        except LibvirtFailure as exc:
            if exc.code == "VIR_ERR_NO_STORAGE_POOL":
                return None
            raise

    def pool_xml(self, uuid: str) -> str:
        pool = self._pool(uuid)
        return str(self._call(lambda: pool.XMLDesc(0), "XMLDesc()"))

    def pool_active(self, uuid: str) -> bool:
        pool = self._pool(uuid)
        return bool(self._call(pool.isActive, "isActive()"))

    def pool_define(self, xml: str) -> None:
        conn = self._c()
        self._call(lambda: conn.storagePoolDefineXML(xml, 0), "storagePoolDefineXML()")

    def pool_build(self, uuid: str) -> None:
        pool = self._pool(uuid)
        self._call(lambda: pool.build(0), "build()")

    def pool_start(self, uuid: str) -> None:
        pool = self._pool(uuid)
        self._call(lambda: pool.create(0), "create()")

    def pool_refresh(self, uuid: str) -> None:
        pool = self._pool(uuid)
        self._call(lambda: pool.refresh(0), "refresh()")

    def pool_destroy(self, uuid: str) -> None:
        pool = self._pool(uuid)
        self._call(pool.destroy, "destroy()")

    def pool_delete(self, uuid: str) -> None:
        pool = self._pool(uuid)
        self._call(lambda: pool.delete(0), "delete()")

    def pool_undefine(self, uuid: str) -> None:
        pool = self._pool(uuid)
        self._call(pool.undefine, "undefine()")

    def vol_create(self, pool: str, name: str, fmt: str, capacity: str) -> None:
        xml = volume_xml(name, fmt, capacity)
        obj = self._pool(pool)
        self._call(lambda: obj.createXML(xml, 0), "storageVolCreateXML()")

    def vol_paths(self, pool: str) -> dict[str, str]:
        obj = self._pool(pool)
        vols = self._call(lambda: obj.listAllVolumes(0), "listAllVolumes()")
        return {str(v.name()): str(v.path()) for v in vols}

    def vol_delete(self, pool: str, name: str) -> None:
        obj = self._pool(pool)
        vol = self._call(lambda: obj.storageVolLookupByName(name), "storageVolLookupByName()")
        self._call(lambda: vol.delete(0), "delete()")

    def vol_read(self, pool: str, name: str, offset: int, length: int) -> bytes:
        conn, obj = self._c(), self._pool(pool)
        vol = self._call(lambda: obj.storageVolLookupByName(name), "storageVolLookupByName()")

        def download() -> bytes:
            stream = conn.newStream(0)
            vol.download(stream, offset, length, 0)
            chunks: list[bytes] = []
            while True:
                got = stream.recv(65536)
                if not isinstance(got, bytes) or not got:  # -2: would block (not here)
                    break
                chunks.append(got)
            stream.finish()
            return b"".join(chunks)

        return self._call(download, "storageVolDownload()")

    def twin(self) -> BindingBackend:
        """Another backend on the same URI with a connection of its own (another thread)."""
        return BindingBackend(self.module, self.uri, timeout=self.timeout)

    def close(self) -> None:
        self.fresh()
