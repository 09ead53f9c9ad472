"""The binding mock of :mod:`tests.impls.mock_libvirt`, keeping no definition of a snapshot
made with ``VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA`` (as libvirt does): the create call
succeeds, a later lookup by name does not find it."""

from __future__ import annotations

from typing import Any

from tests.impls import mock_libvirt
from tests.impls.mock_libvirt import *  # noqa: F403

NO_METADATA = 1 << 2


class _Domain:
    def __init__(self, real: mock_libvirt.Domain) -> None:
        self._real = real

    def snapshotCreateXML(self, xml: str, flags: int = 0) -> Any:
        snap = self._real.snapshotCreateXML(xml, flags)
        if flags & NO_METADATA:
            self._real.snaps.pop(snap.getName(), None)
            self._real.current = None
        return snap

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Connection(mock_libvirt.Connection):
    def lookupByUUIDString(self, uuid: str) -> Any:
        return _Domain(super().lookupByUUIDString(uuid))


def open(uri: str) -> _Connection:
    return _Connection()
