"""A tiny module shaped like the libvirt binding (for ``python-libvirt:`` tests).

It keeps domains and snapshots in memory, understands just enough XML to name them, and
refuses one thing the way libvirt does: external memory without a file
(``VIR_ERR_XML_ERROR``, "XML error: external memory snapshots require a filename").
"""

from __future__ import annotations

import re
from typing import Any

VIR_ERR_XML_ERROR = 27
VIR_ERR_NO_DOMAIN = 42
VIR_ERR_NO_DOMAIN_SNAPSHOT = 72
VIR_ERR_INVALID_ARG = 8
VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE = 1

calls: list[str] = []
#: what the "daemon" answers to getLibVersion() and the client library to getVersion()
DAEMON_VERSION = 9_000_000
CLIENT_VERSION = 9_000_000


class libvirtError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    def get_error_code(self) -> int:
        return self.code

    def get_error_message(self) -> str:
        return str(self)


def _tag(xml: str, tag: str) -> str | None:
    m = re.search(rf"<{tag}>([^<]*)</{tag}>", xml)
    return m.group(1) if m else None


class Snapshot:
    def __init__(self, name: str, xml: str) -> None:
        self._name, self._xml = name, xml

    def getName(self) -> str:
        return self._name

    def getXMLDesc(self, flags: int = 0) -> str:
        return self._xml

    def delete(self, flags: int = 0) -> None:
        for dom in _DOMAINS.values():
            dom.snaps.pop(self._name, None)


class Domain:
    def __init__(self, xml: str) -> None:
        self.xml = xml
        self._name = _tag(xml, "name") or "?"
        self._uuid = _tag(xml, "uuid") or "?"
        self.active = False
        self.snaps: dict[str, str] = {}
        self.current: str | None = None

    def name(self) -> str:
        return self._name

    def UUIDString(self) -> str:
        return self._uuid

    def XMLDesc(self, flags: int = 0) -> str:
        return self.xml

    def state(self) -> list[int]:
        return [1 if self.active else 5, 0]

    def createWithFlags(self, flags: int = 0) -> None:
        self.active = True

    def destroy(self) -> None:
        self.active = False

    def suspend(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def undefineFlags(self, flags: int = 0) -> None:
        _DOMAINS.pop(self._uuid, None)

    def snapshotCreateXML(self, xml: str, flags: int = 0) -> Snapshot:
        calls.append(f"snapshotCreateXML flags={flags}")
        if re.search(r"<memory snapshot=.external.\s*/>", xml):
            raise libvirtError(
                "XML error: external memory snapshots require a filename", VIR_ERR_XML_ERROR
            )
        name = _tag(xml, "name") or "1700000000"
        state = "running" if self.active else "shutoff"
        out = f"<domainsnapshot><name>{name}</name><state>{state}</state></domainsnapshot>\n"
        self.snaps[name] = out
        if not flags & 1 or flags & 2:  # a create, or a redefine with --current
            self.current = name
        return Snapshot(name, out)

    def snapshotLookupByName(self, name: str, flags: int = 0) -> Snapshot:
        if name not in self.snaps:
            raise libvirtError(
                f"Domain snapshot not found: no domain snapshot with matching name '{name}'",
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
            )
        return Snapshot(name, self.snaps[name])

    def snapshotListNames(self, flags: int = 0) -> list[str]:
        return list(self.snaps)

    def listAllSnapshots(self, flags: int = 0) -> list[Snapshot]:
        return [Snapshot(n, x) for n, x in self.snaps.items()]

    def snapshotCurrent(self, flags: int = 0) -> Snapshot:
        if self.current not in self.snaps:
            raise libvirtError(
                "Domain snapshot not found: the domain does not have a current snapshot",
                VIR_ERR_NO_DOMAIN_SNAPSHOT,
            )
        assert self.current is not None
        return Snapshot(self.current, self.snaps[self.current])


_DOMAINS: dict[str, Domain] = {}


class Connection:
    def getType(self) -> str:
        return "TEST"

    def getLibVersion(self) -> int:
        return DAEMON_VERSION

    def getVersion(self) -> int:
        return 2

    def getURI(self) -> str:
        return "test:///default"

    def listAllDomains(self, flags: int = 0) -> list[Domain]:
        return list(_DOMAINS.values())

    def lookupByUUIDString(self, uuid: str) -> Domain:
        if uuid not in _DOMAINS:
            raise libvirtError(f"Domain not found: no domain with matching uuid '{uuid}'", 42)
        return _DOMAINS[uuid]

    def defineXML(self, xml: str) -> Domain:
        dom = Domain(xml)
        _DOMAINS[dom.UUIDString()] = dom
        return dom

    def createXML(self, xml: str, flags: int = 0) -> Domain:
        dom = self.defineXML(xml)
        dom.active = True
        return dom

    def close(self) -> int:
        return 0


def getVersion() -> int:
    return CLIENT_VERSION


def open(uri: str) -> Connection:
    calls.append(f"open {uri}")
    return Connection()


def registerErrorHandler(handler: Any, ctx: Any) -> None:
    pass
