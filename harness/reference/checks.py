"""``qemuSnapshotCreateXMLValidateDef``: checks of a parsed definition before alignment."""

from __future__ import annotations

from collections.abc import Set

from ..contract import Flag
from .errors import fail
from .model import EXTERNAL, SnapshotDef

_VALID_STATES = ("running", "paused", "shutdown", "shutoff", "crashed")


def validate_def(
    snap: SnapshotDef, flags: Set[Flag], *, state: str | None, active: bool, redefine: bool
) -> None:
    """Snapshot names become file names; --live needs external memory on an active
    domain; only some states can be snapshotted (for redefine: the document's state)."""
    name = snap.name or ""
    if Flag.NO_METADATA not in flags:
        if "/" in name:
            fail("VIR_ERR_XML_DETAIL", f"invalid snapshot name '{name}': name can't contain '/'")
        if name.startswith("."):
            fail("VIR_ERR_XML_DETAIL", f"invalid snapshot name '{name}': name can't start with '.'")
    if Flag.LIVE in flags and (not active or snap.memory != EXTERNAL):
        fail(
            "VIR_ERR_OPERATION_UNSUPPORTED",
            "live snapshot creation is supported only during full system snapshots",
        )
    if state in _VALID_STATES or (state == "disk-snapshot" and redefine):
        return
    if state == "pmsuspended":
        fail(
            "VIR_ERR_OPERATION_UNSUPPORTED",
            "qemu doesn't support taking snapshots of PMSUSPENDED guests",
        )
    fail("VIR_ERR_INTERNAL_ERROR", f"Invalid domain state {state}")
