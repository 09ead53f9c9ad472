"""libvirt errors: the message prefixes virsh prints, their codes, and rejections.

virsh prints only libvirt's message (``error: <message>``), never the error code. Each
libvirt error code formats its message with a fixed prefix (``virErrorMsgStrings`` in
libvirt's ``src/util/virerror.c``), so the prefix tells the code back. This module holds the
one table that does that; the binding adapter gets codes directly and never needs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.contract import Errored, Outcome, Rejected, kind_for_code

#: Message prefix -> libvirt error code name. Longest prefixes are tried first, so the order
#: here is for readers only. Only codes whose messages are relevant to snapshots and domains.
MESSAGE_PREFIXES: dict[str, str] = {
    "XML error:": "VIR_ERR_XML_ERROR",
    "XML document failed to validate against schema": "VIR_ERR_XML_INVALID_SCHEMA",
    "unsupported configuration:": "VIR_ERR_CONFIG_UNSUPPORTED",
    "internal error:": "VIR_ERR_INTERNAL_ERROR",
    "Operation not supported:": "VIR_ERR_OPERATION_UNSUPPORTED",
    "invalid argument:": "VIR_ERR_INVALID_ARG",
    "Requested operation is not valid:": "VIR_ERR_OPERATION_INVALID",
    "argument unsupported:": "VIR_ERR_ARGUMENT_UNSUPPORTED",
    "Domain snapshot not found": "VIR_ERR_NO_DOMAIN_SNAPSHOT",
    "Invalid domain snapshot": "VIR_ERR_INVALID_DOMAIN_SNAPSHOT",
    "Domain not found": "VIR_ERR_NO_DOMAIN",
    "this function is not supported by the connection driver": "VIR_ERR_NO_SUPPORT",
    "operation failed:": "VIR_ERR_OPERATION_FAILED",
    "operation forbidden:": "VIR_ERR_OPERATION_DENIED",
    "Timed out during operation": "VIR_ERR_OPERATION_TIMEOUT",
    "resource busy:": "VIR_ERR_RESOURCE_BUSY",
    "access denied:": "VIR_ERR_ACCESS_DENIED",
    "revert requires force:": "VIR_ERR_SNAPSHOT_REVERT_RISKY",
    "Guest agent is not responding": "VIR_ERR_AGENT_UNRESPONSIVE",
    # virCheckFlags() reports VIR_ERR_INVALID_ARG with its own text and no prefix
    "unsupported flags (": "VIR_ERR_INVALID_ARG",
    # so do the flag-dependency checks (VIR_REQUIRE_FLAG_RET, VIR_EXCLUSIVE_FLAGS_RET):
    # "Flag 'A' is required by flag 'B'", "Flags 'A' and 'B' are mutually exclusive"
    "Flag 'VIR_": "VIR_ERR_INVALID_ARG",
    "Flags 'VIR_": "VIR_ERR_INVALID_ARG",
    # virReportSystemError() texts carry no prefix either (strerror is appended)
    "missing existing file for disk": "VIR_ERR_SYSTEM_ERROR",
}

#: libxml2 parse errors come as VIR_ERR_XML_DETAIL, formatted "%s" (no prefix), e.g.
#: "(domain_snapshot):1: Premature end of data in tag ..." or "/path/file.xml:6: ..."
#: (libvirt 7.0, 9.0); libvirt 11.3 and 12.9 write "at line 24: Opening and ending tag
#: mismatch: ..." for the same document (seen live through virsh and the binding, code 35).
_XML_DETAIL = re.compile(r"^((\([^)\n]*\)|[^\s:]+\.xml|\S*):\d+|at line \d+): ")

#: Codes that say the harness, the session or the host failed, not that the document or
#: request was refused: these become Errored, never Rejected.
MALFUNCTION_CODES: frozenset[str] = frozenset(
    {
        "VIR_ERR_NO_DOMAIN",
        "VIR_ERR_OPERATION_TIMEOUT",
        "VIR_ERR_AGENT_UNRESPONSIVE",
        "VIR_ERR_RPC",
        "VIR_ERR_NO_CONNECT",
        "VIR_ERR_INVALID_CONN",
        "VIR_ERR_AUTH_FAILED",
        "VIR_ERR_ACCESS_DENIED",
        "VIR_ERR_OPERATION_DENIED",
        "VIR_ERR_NO_MEMORY",
    }
)

#: Messages virsh writes itself *instead of* libvirt's answer, with what happened. virsh
#: emulates ``--halt`` for servers that lack it (``tools/virsh-snapshot.c``, "Emulate --halt
#: on older servers"): when libvirt answers a request carrying ``--halt`` with
#: VIR_ERR_INVALID_ARG, virsh drops libvirt's error; on a transient domain it prints the
#: message below (no code), on a persistent one it repeats the request without ``--halt``
#: and destroys the domain itself after a success. Seen live on libvirt 9.0 (test:///default,
#: ``--halt --disk-only`` on a running transient domain: the binding reports
#: VIR_ERR_INVALID_ARG "unsupported flags (0x10) in function testDomainSnapshotCreateXML").
VIRSH_HALT_EMULATED = "cannot halt after snapshot of transient domain"
#: The virsh backend's own text for a request virsh cannot carry faithfully: libvirt always
#: refuses --redefine with --halt (VIR_ERR_INVALID_ARG, public API), and virsh then
#: retries the redefine without --halt.
VIRSH_REDEFINE_HALT = "virsh cannot send --redefine with --halt"
VIRSH_OWN_MESSAGES: dict[str, str] = {
    VIRSH_HALT_EMULATED: (
        "virsh's client-side --halt emulation answered instead of libvirt (libvirt said "
        "VIR_ERR_INVALID_ARG, its message is hidden; the libvirt: adapter shows it)"
    ),
    VIRSH_REDEFINE_HALT: (
        "not sent: on libvirt's VIR_ERR_INVALID_ARG virsh would repeat the redefine without "
        "--halt, so its answer would not be libvirt's (the libvirt: adapter sends it as is)"
    ),
}

_ORDERED = sorted(MESSAGE_PREFIXES.items(), key=lambda item: -len(item[0]))


def code_for_message(message: str) -> str | None:
    """The libvirt error code a message printed by virsh comes from, or None if unknown."""
    text = message.lstrip()
    for prefix, code in _ORDERED:
        if text.startswith(prefix):
            return code
    if _XML_DETAIL.match(text):
        return "VIR_ERR_XML_DETAIL"
    return None


@dataclass
class LibvirtFailure(Exception):
    """libvirt refused or failed one call; ``code`` is the virErrorNumber name if known."""

    message: str
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.message} [{self.code or 'code unknown'}]"


class BackendDown(Exception):
    """The session or connection to libvirt is gone or stuck (not libvirt's answer)."""


def outcome_for_failure(failure: LibvirtFailure, what: str) -> Outcome:
    """libvirt's refusal of the request as a :class:`Rejected`.

    Only codes the contract gives a rejection kind (``ERROR_CODE_KINDS``) are refusals; an
    unrecognised message or any other code (a lost domain, an RPC failure, a hypervisor
    failure such as ``VIR_ERR_OPERATION_FAILED``) is reported as :class:`Errored`, with
    libvirt's message and code, rather than guessed into a kind.
    """
    code = failure.code
    own = VIRSH_OWN_MESSAGES.get(failure.message.strip())
    if own is not None:
        return Errored(f"{what}: virsh said {failure.message.strip()!r}: {own}")
    if code is None:
        return Errored(f"{what}: libvirt error with an unrecognised message: {failure.message}")
    kind = kind_for_code(code)
    if kind is None or code in MALFUNCTION_CODES:
        return Errored(f"{what}: {failure.message} [{code}: not a rejection in contract v1]")
    return Rejected(kind=kind, message=failure.message, code=code)
