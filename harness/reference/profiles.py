"""The three profiles, as data: parser era, driver, and each driver behaviour that differs.

Sources: ``qemuSnapshotCreateXML`` and friends (``src/qemu/qemu_snapshot.c``),
``testDomainSnapshotCreateXML`` (``src/test/test_driver.c``), and the seed commit message
for the 1.0.1 plan.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..contract import Flag


class Era(enum.Enum):
    """Which generation of libvirt's snapshot XML code a profile follows."""

    #: the seed commit (4201a7ea1c, libvirt 1.0.1 development)
    SEED = "seed"
    #: libvirt 9.0.0
    V9 = "9.0"


class Driver(enum.Enum):
    """Who decides the semantics."""

    #: the 1.0.1 design table stated in the seed commit message
    PLAN = "plan"
    QEMU = "qemu"
    TEST = "test"


ALL_FLAGS = frozenset(Flag)


@dataclass(frozen=True)
class Profile:
    name: str
    era: Era
    driver: Driver
    #: ``type`` of the domain the driver defines
    domain_type: str
    #: the driver's create function, named in its "unsupported flags" error
    function: str
    #: flags the driver's ``virCheckFlags`` accepts
    supported_flags: frozenset[Flag] = ALL_FLAGS
    #: PARSE_OFFLINE for an inactive domain or --disk-only (the test driver never sets it)
    offline_parse: bool = True
    #: driver flag rules: quiesce needs disk-only, live excludes redefine (QEMU)
    driver_flag_rules: bool = True
    #: qemuSnapshotCreateXMLValidateDef: name, --live and domain state checks
    validate_def: bool = True
    #: an active domain's snapshot without memory needs --disk-only (QEMU)
    active_needs_memory: bool = True
    #: qemuSnapshotPrepare: per-disk and global checks after alignment
    prepare: bool = True
    #: the driver keeps the save cookie (QEMU save-cookie callbacks)
    cookie: bool = True
    #: --quiesce on a running domain needs a guest agent (the scratch domain has none)
    quiesce_needs_agent: bool = True
    #: a --no-metadata snapshot is carried out and no definition is kept to read back
    no_metadata_forgets: bool = True
    #: the driver refuses disks whose resolved mode is 'manual' (the test driver)
    refuses_manual_disks: bool = False
    description: str = ""


PLAN_1_0_1 = Profile(
    name="plan-1.0.1",
    era=Era.SEED,
    driver=Driver.PLAN,
    domain_type="qemu",
    function="qemuDomainSnapshotCreateXML",
    supported_flags=ALL_FLAGS - {Flag.VALIDATE},
    driver_flag_rules=False,
    validate_def=False,
    active_needs_memory=False,
    prepare=False,
    cookie=False,
    quiesce_needs_agent=False,
    no_metadata_forgets=False,
    description="the seed commit's 1.0.1 design table, seed-era parser and formatter",
)
LIBVIRT_9_0_QEMU = Profile(
    name="libvirt-9.0-qemu",
    era=Era.V9,
    driver=Driver.QEMU,
    domain_type="qemu",
    function="qemuDomainSnapshotCreateXML",
    description="libvirt 9.0.0 parser and formatter, QEMU driver rules",
)
LIBVIRT_9_0_TEST = Profile(
    name="libvirt-9.0-test",
    era=Era.V9,
    driver=Driver.TEST,
    domain_type="test",
    function="testDomainSnapshotCreateXML",
    # DISK_ONLY, REUSE_EXT and NO_METADATA are "not implemented" in the test driver
    supported_flags=ALL_FLAGS - {Flag.DISK_ONLY, Flag.REUSE_EXTERNAL, Flag.NO_METADATA},
    offline_parse=False,
    driver_flag_rules=False,
    validate_def=False,
    active_needs_memory=False,
    prepare=False,
    cookie=False,
    quiesce_needs_agent=False,
    no_metadata_forgets=False,
    refuses_manual_disks=True,
    description="libvirt 9.0.0 parser and formatter, test driver rules",
)

PROFILES: dict[str, Profile] = {p.name: p for p in (PLAN_1_0_1, LIBVIRT_9_0_QEMU, LIBVIRT_9_0_TEST)}
