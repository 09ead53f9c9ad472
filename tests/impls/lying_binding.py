"""A module shaped like the libvirt binding that wraps the real one and lies in one view.

The snapshot object ``snapshotCreateXML()`` returns drops the ``<memory>`` element from its
``getXMLDesc()``; every other call (the lookup by name, the current snapshot, the listing)
is the real binding's. A mock of libvirt that is wrong in exactly one view is the most common
real bug: ``python-libvirt:tests.impls.lying_binding@URI`` must fail the cases it touches.
"""

from __future__ import annotations

import re
from typing import Any

import libvirt
from libvirt import *  # noqa: F403  (the module stands in for the binding as a whole)


class _Snapshot:
    def __init__(self, real: Any) -> None:
        self._real = real

    def getXMLDesc(self, flags: int = 0) -> str:
        return re.sub(r"\s*<memory\b[^>]*/>", "", self._real.getXMLDesc(flags))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Domain:
    def __init__(self, real: Any) -> None:
        self._real = real

    def snapshotCreateXML(self, xml: str, flags: int = 0) -> Any:
        snap = self._real.snapshotCreateXML(xml, flags)
        return None if snap is None else _Snapshot(snap)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Connection:
    def __init__(self, real: Any) -> None:
        self._real = real

    def lookupByUUIDString(self, uuid: str) -> _Domain:
        return _Domain(self._real.lookupByUUIDString(uuid))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def open(uri: str) -> _Connection:
    return _Connection(libvirt.open(uri))
