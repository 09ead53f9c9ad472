"""The snapshots a domain holds, and which one is current."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import fail
from .model import SnapshotDef


@dataclass
class SnapshotList:
    items: dict[str, SnapshotDef] = field(default_factory=dict)
    current: str | None = None

    def get(self, name: str | None) -> SnapshotDef | None:
        return self.items.get(name) if name is not None else None

    def store(self, snap: SnapshotDef, *, make_current: bool) -> None:
        assert snap.name is not None
        self.items[snap.name] = snap
        if make_current:
            self.current = snap.name

    def check_cycles(self, snap: SnapshotDef) -> None:
        """A redefinition's parent must exist and must not make a cycle
        (``virDomainMomentCheckCycles``)."""
        if snap.parent is None:
            return
        if snap.parent == snap.name:
            fail("VIR_ERR_INVALID_ARG", f"cannot set moment {snap.name} as its own parent")
        other = self.get(snap.parent)
        if other is None:
            fail("VIR_ERR_INVALID_ARG", f"parent {snap.parent} for moment {snap.name} not found")
        seen = set()
        while other is not None and other.parent is not None and other.name not in seen:
            seen.add(other.name)
            if other.parent == snap.name:
                fail(
                    "VIR_ERR_INVALID_ARG", f"parent {other.name} would create cycle to {snap.name}"
                )
            other = self.get(other.parent)
