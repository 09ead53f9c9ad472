"""Redefining snapshot metadata (``VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE``).

9.0.0: ``virDomainSnapshotRedefinePrep`` and ``virDomainSnapshotRedefineValidate``
(``src/conf/snapshot_conf.c``); the seed's redefine branch of the QEMU driver is the same
in outline but aligns disks only when the document carries a domain.
"""

from __future__ import annotations

from collections.abc import Set

from ..contract import Flag
from .align import align_disks
from .checks import validate_def
from .errors import fail
from .flags import check_flags
from .model import EXTERNAL, INTERNAL, ONLINE_STATES, Domain, SnapshotDef
from .parse import ParseOptions, parse
from .profiles import Era, Profile
from .snapshots import SnapshotList


def _uuid_key(uuid: str | None) -> str | None:
    return uuid.replace("-", "").lower() if uuid else None


def redefine(
    profile: Profile,
    domain: Domain,
    snapshots: SnapshotList,
    text: str,
    flags: Set[Flag],
    *,
    active: bool,
    persistent: bool,
) -> SnapshotDef:
    check_flags(profile, flags, redefine=True, persistent=persistent)
    disk_only = Flag.DISK_ONLY in flags
    opts = ParseOptions(
        era=profile.era,
        redefine=True,
        required=True,
        offline=profile.offline_parse and (disk_only or not active),
        validate=Flag.VALIDATE in flags,
        cookie=profile.cookie,
    )
    snap = parse(text, opts)
    if profile.validate_def:
        validate_def(snap, flags, state=snap.state, active=active, redefine=True)
    snapshots.check_cycles(snap)
    other = snapshots.get(snap.name)
    _validate(snap, other, domain, disk_only=disk_only)

    if snap.domain is None and other is not None:
        snap.domain = other.domain
    # the seed counted only external memory; 9.0.0 counts external disks too
    external = snap.memory == EXTERNAL if profile.era is Era.SEED else snap.is_external()
    default = EXTERNAL if snap.state == "disk-snapshot" or external else INTERNAL
    if snap.domain is not None or profile.era is Era.V9:
        # the embedded definition's sources are only paths: stat() finds a regular file
        # where the domain the request runs against has one (its images exist)
        files = {d.source for d in domain.disks if d.type == "file" and d.source is not None}
        align_disks(
            snap, snap.domain, default, uniform=True, era=profile.era,
            regular_file=files.__contains__,
        )  # fmt: skip

    snapshots.store(snap, make_current=Flag.CURRENT in flags or snapshots.current == snap.name)
    return snap


def _validate(
    snap: SnapshotDef, other: SnapshotDef | None, domain: Domain, *, disk_only: bool
) -> None:
    if disk_only and snap.state != "disk-snapshot":
        fail(
            "VIR_ERR_INVALID_ARG",
            f"disk-only flag for snapshot {snap.name} requires disk-snapshot state",
        )
    if snap.domain is not None and _uuid_key(snap.domain.uuid) != _uuid_key(domain.uuid):
        fail(
            "VIR_ERR_INVALID_ARG",
            f"definition for snapshot {snap.name} must use uuid {domain.uuid}",
        )
    if other is None:
        return
    if (other.state in ONLINE_STATES) != (snap.state in ONLINE_STATES):
        fail(
            "VIR_ERR_INVALID_ARG",
            f"cannot change between online and offline snapshot state in snapshot {snap.name}",
        )
    if (other.state == "disk-snapshot") != (snap.state == "disk-snapshot"):
        fail(
            "VIR_ERR_INVALID_ARG",
            f"cannot change between disk only and full system in snapshot {snap.name}",
        )
