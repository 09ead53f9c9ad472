"""Mapping virsh's printed messages to libvirt error codes and outcomes."""

from __future__ import annotations

import pytest

from harness.contract import ERROR_CODE_KINDS, Errored, Rejected, RejectionKind
from harness.host.errors import (
    MESSAGE_PREFIXES,
    LibvirtFailure,
    code_for_message,
    outcome_for_failure,
)

SEEN_LIVE = [
    ("XML error: external memory snapshots require a filename", "VIR_ERR_XML_ERROR"),
    (
        "unsupported configuration: disk 'vda' must use snapshot mode 'internal'",
        "VIR_ERR_CONFIG_UNSUPPORTED",
    ),
    ("internal error: missing domain in snapshot", "VIR_ERR_INTERNAL_ERROR"),
    (
        "Operation not supported: internal snapshot of a running VM must include the memory state",
        "VIR_ERR_OPERATION_UNSUPPORTED",
    ),
    (
        "invalid argument: disk-only flag for snapshot r1 requires disk-snapshot state",
        "VIR_ERR_INVALID_ARG",
    ),
    ("Requested operation is not valid: domain is not running", "VIR_ERR_OPERATION_INVALID"),
    ("argument unsupported: QEMU guest agent is not configured", "VIR_ERR_ARGUMENT_UNSUPPORTED"),
    (
        "XML document failed to validate against schema: Unable to validate doc against "
        "/usr/share/libvirt/schemas/domainsnapshot.rng\nExtra element memory in interleave",
        "VIR_ERR_XML_INVALID_SCHEMA",
    ),
    (
        "Domain snapshot not found: no domain snapshot with matching name 'snap'",
        "VIR_ERR_NO_DOMAIN_SNAPSHOT",
    ),
    ("unsupported flags (0x10) in function testDomainSnapshotCreateXML", "VIR_ERR_INVALID_ARG"),
    (
        "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY' is required by flag "
        "'VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE'",
        "VIR_ERR_INVALID_ARG",
    ),
    (
        "missing existing file for disk vda: /s/vda.cell: No such file or directory",
        "VIR_ERR_SYSTEM_ERROR",
    ),
    (
        "Flags 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' and 'VIR_DOMAIN_SNAPSHOT_CREATE_HALT' "
        "are mutually exclusive",
        "VIR_ERR_INVALID_ARG",
    ),
    (
        "(domain_snapshot):8: Opening and ending tag mismatch: disks line 6 and domainsnapshot",
        "VIR_ERR_XML_DETAIL",
    ),
    ("Domain not found: no domain with matching uuid 'x'", "VIR_ERR_NO_DOMAIN"),
    # libvirt 11.3.0 and 12.9.0 (virsh and python3-libvirt: code 35, VIR_ERR_XML_DETAIL)
    (
        "at line 24: Opening and ending tag mismatch: disks line 6 and domainsnapshot\n"
        "</domainsnapshot>\n-----------------^",
        "VIR_ERR_XML_DETAIL",
    ),
    (
        "at line 1: Premature end of data in tag domainsnapshot line 1\n"
        "<domainsnapshot><name>x</name>\n------------------------------^",
        "VIR_ERR_XML_DETAIL",
    ),
    ("at line 1: Extra content at the end of the document", "VIR_ERR_XML_DETAIL"),
    ("at line 1: Document is empty", "VIR_ERR_XML_DETAIL"),
]


@pytest.mark.parametrize(("message", "code"), SEEN_LIVE)
def test_prefixes(message: str, code: str) -> None:
    assert code_for_message(message) == code


def test_unknown_messages_have_no_code() -> None:
    assert code_for_message("command 'snapshot-create' doesn't support option --bogus") is None
    assert code_for_message("") is None
    # the 11.3+ libxml2 form needs its line number and the colon
    assert code_for_message("at line twelve: something") is None
    assert code_for_message("at least one disk must be listed") is None


def test_every_contract_code_with_a_prefix_is_in_the_table() -> None:
    # codes formatted "%s" by libvirt (no prefix) cannot be told from a message
    prefixless = {"VIR_ERR_XML_DETAIL", "VIR_ERR_SYSTEM_ERROR"}
    assert set(ERROR_CODE_KINDS) - prefixless <= set(MESSAGE_PREFIXES.values())


def test_the_full_message_is_kept() -> None:
    message = "XML error: memory snapshot file path (mem.snap) must be absolute"
    outcome = outcome_for_failure(LibvirtFailure(message, code_for_message(message)), "create")
    assert outcome == Rejected(RejectionKind.INVALID, message, "VIR_ERR_XML_ERROR")


def test_unsupported_kinds() -> None:
    message = "unsupported configuration: no disk named 'vdz'"
    outcome = outcome_for_failure(LibvirtFailure(message, code_for_message(message)), "create")
    assert isinstance(outcome, Rejected) and outcome.kind == RejectionKind.UNSUPPORTED


@pytest.mark.parametrize(
    "failure",
    [
        LibvirtFailure("something nobody knows", None),
        LibvirtFailure("Domain not found: gone", "VIR_ERR_NO_DOMAIN"),
        LibvirtFailure("operation failed: qemu died", "VIR_ERR_OPERATION_FAILED"),
    ],
)
def test_malfunctions_are_errored(failure: LibvirtFailure) -> None:
    assert isinstance(outcome_for_failure(failure, "create"), Errored)


def test_virshs_own_halt_message_is_errored_not_rejected() -> None:
    # virsh prints it in place of libvirt's VIR_ERR_INVALID_ARG (its --halt emulation)
    failure = LibvirtFailure("cannot halt after snapshot of transient domain")
    assert code_for_message(failure.message) is None
    out = outcome_for_failure(failure, "snapshot create")
    assert isinstance(out, Errored) and "--halt emulation" in out.message
