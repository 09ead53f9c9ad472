"""Creating a snapshot under the 1.0.1 plan: the table in the seed commit message.

Each row reads ``domain memory disk disk-only | result``: the domain's state (offline or
online), what ``<memory>`` asks (omitted, no, internal, external), what the ``<disks>``
ask, and the disk-only flag. A result is either a stored snapshot (memory mode and disk
mode) or a refusal: "invalid combination" or "unsupported for now".
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Set
from dataclasses import dataclass

from ..contract import DomainState, Flag
from .align import align_disks
from .errors import fail
from .flags import check_flags
from .model import EXTERNAL, INTERNAL, NO, Domain, SnapshotDef
from .parse import ParseOptions, parse
from .profiles import Profile
from .snapshots import SnapshotList

OMIT = "omit"


@dataclass(frozen=True)
class Cell:
    """One result of the table: ``memory``/``disk`` when stored, else a refusal."""

    memory: str | None = None
    #: the disk mode the snapshot uses (internal or external; "no" disks keep "no")
    disk: str | None = None
    refusal: str | None = None
    reason: str = ""


def _ok(memory: str, disk: str) -> Cell:
    return Cell(memory=memory, disk=disk)


_INVALID_NOTHING = Cell(refusal="invalid", reason="nothing to snapshot")
_INVALID_NO_MEMORY = Cell(refusal="invalid", reason="no memory to save")
_INVALID_DISK_ONLY = Cell(refusal="invalid", reason="disk-only vs. memory")
_UNSUPPORTED = Cell(refusal="unsupported")

#: the seed's table, row by row; "default" disks are external (made via transaction)
_ROWS: tuple[tuple[str, str, str, str, Cell], ...] = (
    ("offline", "omit", "omit", "any", _ok(NO, INTERNAL)),
    ("offline", "no", "omit", "any", _ok(NO, INTERNAL)),
    ("offline", "omit/no", "no", "any", _INVALID_NOTHING),
    ("offline", "omit/no", "internal", "any", _ok(NO, INTERNAL)),
    ("offline", "omit/no", "external", "any", _ok(NO, EXTERNAL)),
    ("offline", "internal/external", "any", "any", _INVALID_NO_MEMORY),
    ("online", "omit", "omit", "off", _ok(INTERNAL, INTERNAL)),
    ("online", "omit", "omit", "on", _ok(NO, EXTERNAL)),
    ("online", "omit", "no/external", "off", _UNSUPPORTED),
    ("online", "omit", "no", "on", _INVALID_NOTHING),
    ("online", "omit", "external", "on", _ok(NO, EXTERNAL)),
    ("online", "omit", "internal", "off", _ok(INTERNAL, INTERNAL)),
    ("online", "omit", "internal", "on", _UNSUPPORTED),
    ("online", "no", "omit", "any", _ok(NO, EXTERNAL)),
    ("online", "no", "no", "any", _INVALID_NOTHING),
    ("online", "no", "internal", "any", _UNSUPPORTED),
    ("online", "no", "external", "any", _ok(NO, EXTERNAL)),
    ("online", "internal/external", "any", "on", _INVALID_DISK_ONLY),
    ("online", "internal", "omit", "off", _ok(INTERNAL, INTERNAL)),
    ("online", "internal", "no/external", "off", _UNSUPPORTED),
    ("online", "internal", "internal", "off", _ok(INTERNAL, INTERNAL)),
    ("online", "external", "omit", "off", _ok(EXTERNAL, EXTERNAL)),
    ("online", "external", "no", "off", _ok(EXTERNAL, EXTERNAL)),
    ("online", "external", "internal", "off", _UNSUPPORTED),
    ("online", "external", "external", "off", _ok(EXTERNAL, EXTERNAL)),
)

_ANY = {
    "memory": (OMIT, NO, INTERNAL, EXTERNAL),
    "disk": (OMIT, NO, INTERNAL, EXTERNAL),
    "flag": ("on", "off"),
}


def _expand(value: str, kind: str) -> tuple[str, ...]:
    return _ANY[kind] if value == "any" else tuple(value.split("/"))


def _table() -> dict[tuple[bool, str, str, bool], Cell]:
    table: dict[tuple[bool, str, str, bool], Cell] = {}
    for domain, memory, disk, flag, cell in _ROWS:
        for m, d, f in itertools.product(
            _expand(memory, "memory"), _expand(disk, "disk"), _expand(flag, "flag")
        ):
            table.setdefault((domain == "online", m, d, f == "on"), cell)
    return table


TABLE = _table()


def _disk_request(snap: SnapshotDef) -> str:
    """What the ``<disks>`` ask, as one column value of the table."""
    modes = {d.snapshot for d in snap.disks if d.snapshot is not None}
    if INTERNAL in modes and EXTERNAL in modes:
        return "mixed"
    for mode in (EXTERNAL, INTERNAL, NO):
        if mode in modes:
            return mode
    return OMIT


def create_planned(
    profile: Profile,
    domain: Domain,
    snapshots: SnapshotList,
    text: str,
    flags: Set[Flag],
    *,
    state: DomainState,
    persistent: bool,
    now: int,
) -> SnapshotDef:
    check_flags(profile, flags, redefine=False, persistent=persistent)
    online = state is not DomainState.SHUTOFF
    disk_only = Flag.DISK_ONLY in flags
    opts = ParseOptions(era=profile.era, offline=disk_only or not online, now=now)
    snap = parse(text, opts)
    memory_request = snap.memory or OMIT
    cell = TABLE.get((online, memory_request, _disk_request(snap), disk_only), _UNSUPPORTED)
    if cell.refusal == "invalid":
        fail("VIR_ERR_INVALID_ARG", f"invalid combination ({cell.reason})")
    if cell.refusal is not None or cell.memory is None or cell.disk is None:
        fail("VIR_ERR_CONFIG_UNSUPPORTED", "combination unsupported for now")

    snap.memory = cell.memory
    if not online:
        snap.state = "shutoff"
    elif cell.memory == NO:
        snap.state = "disk-snapshot"
    else:
        snap.state = str(state)
    snap.domain = copy.deepcopy(domain)
    align_disks(snap, snap.domain, cell.disk, uniform=False, era=profile.era)
    if Flag.NO_METADATA in flags:
        return snap
    snap.parent = snapshots.current
    snapshots.store(snap, make_current=True)
    return snap
