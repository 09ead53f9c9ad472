"""Flag checks that run before the document is read.

Public API rules (``virDomainSnapshotCreateXML``, ``src/libvirt-domain-snapshot.c``) hold
for every driver; the driver then checks the flags it supports (``virCheckFlags``) and its
own combinations.
"""

from __future__ import annotations

from collections.abc import Set

from ..contract import Flag
from .errors import fail
from .profiles import Profile

#: virDomainSnapshotCreateFlags bits; REDEFINE is implied by the redefine operation
REDEFINE_BIT = 1 << 0
FLAG_BITS: dict[Flag, int] = {
    Flag.CURRENT: 1 << 1,
    Flag.NO_METADATA: 1 << 2,
    Flag.HALT: 1 << 3,
    Flag.DISK_ONLY: 1 << 4,
    Flag.REUSE_EXTERNAL: 1 << 5,
    Flag.QUIESCE: 1 << 6,
    Flag.ATOMIC: 1 << 7,
    Flag.LIVE: 1 << 8,
    Flag.VALIDATE: 1 << 9,
}
_NAMES: dict[Flag, str] = {
    Flag.CURRENT: "VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT",
    Flag.NO_METADATA: "VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA",
    Flag.HALT: "VIR_DOMAIN_SNAPSHOT_CREATE_HALT",
    Flag.DISK_ONLY: "VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY",
    Flag.QUIESCE: "VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE",
    Flag.LIVE: "VIR_DOMAIN_SNAPSHOT_CREATE_LIVE",
}
_REDEFINE = "VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE"


def _invalid_arg(text: str) -> None:
    """VIR_ERR_INVALID_ARG as virCheckFlags, VIR_REQUIRE_FLAG_RET and VIR_EXCLUSIVE_FLAGS_RET
    report it: the text alone, without the "invalid argument: " prefix virReportError adds
    (seen live on libvirt 9.0 through virsh and the binding, e.g. "unsupported flags (0x10)
    in function testDomainSnapshotCreateXML", "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE'
    and 'VIR_DOMAIN_SNAPSHOT_CREATE_HALT' are mutually exclusive", code 8)."""
    fail("VIR_ERR_INVALID_ARG", text, prefixed=False)


def _required(flag: str, by: str) -> None:
    _invalid_arg(f"Flag '{flag}' is required by flag '{by}'")


def _exclusive(first: str, second: str) -> None:
    _invalid_arg(f"Flags '{first}' and '{second}' are mutually exclusive")


def check_flags(profile: Profile, flags: Set[Flag], *, redefine: bool, persistent: bool) -> None:
    """Raise the first error libvirt reports for this flag combination, if any."""
    # public API, every driver
    if Flag.CURRENT in flags and not redefine:
        _required(_REDEFINE, _NAMES[Flag.CURRENT])
    for flag in (Flag.NO_METADATA, Flag.HALT):
        if redefine and flag in flags:
            _exclusive(_REDEFINE, _NAMES[flag])
    # the driver's virCheckFlags
    unsupported = sum(FLAG_BITS[f] for f in flags - profile.supported_flags)
    if unsupported:
        _invalid_arg(f"unsupported flags (0x{unsupported:x}) in function {profile.function}")
    if profile.driver_flag_rules:
        if Flag.QUIESCE in flags and Flag.DISK_ONLY not in flags:
            _required(_NAMES[Flag.DISK_ONLY], _NAMES[Flag.QUIESCE])
        if Flag.LIVE in flags and redefine:
            _exclusive(_NAMES[Flag.LIVE], _REDEFINE)
    if not persistent and Flag.HALT in flags:
        # qemuDomainSnapshotCreateXML and testDomainSnapshotCreateXML alike; seen live on
        # libvirt 9.0 (qemu:///system and test:///default, virsh and the binding, code 55):
        # "Requested operation is not valid: cannot halt after transient domain snapshot"
        fail("VIR_ERR_OPERATION_INVALID", "cannot halt after transient domain snapshot")
