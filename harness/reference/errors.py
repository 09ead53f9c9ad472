"""libvirt-style errors raised inside the reference implementation.

libvirt prefixes every message with a phrase that depends on the error code
(``virErrorMsg`` in ``src/util/virerror.c``); :func:`fail` reproduces that so a message
reads as ``virsh`` prints it after ``error:``.
"""

from __future__ import annotations

from typing import NoReturn

#: Message prefixes libvirt adds per error code ("%s" codes add none).
_PREFIXES: dict[str, str] = {
    "VIR_ERR_XML_ERROR": "XML error: ",
    "VIR_ERR_INTERNAL_ERROR": "internal error: ",
    "VIR_ERR_CONFIG_UNSUPPORTED": "unsupported configuration: ",
    "VIR_ERR_OPERATION_UNSUPPORTED": "Operation not supported: ",
    "VIR_ERR_OPERATION_INVALID": "Requested operation is not valid: ",
    "VIR_ERR_INVALID_ARG": "invalid argument: ",
    "VIR_ERR_ARGUMENT_UNSUPPORTED": "argument unsupported: ",
    "VIR_ERR_NO_DOMAIN_SNAPSHOT": "Domain snapshot not found: ",
    "VIR_ERR_XML_INVALID_SCHEMA": "XML document failed to validate against schema: ",
    "VIR_ERR_XML_DETAIL": "",
    "VIR_ERR_SYSTEM_ERROR": "",
}


class SnapshotError(Exception):
    """One libvirt error: a code (``virErrorNumber`` name) and the message as printed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(code: str, detail: str, *, prefixed: bool = True) -> NoReturn:
    """Raise the error libvirt reports as ``virReportError(code, detail)``; ``prefixed``
    False for the flag checks (virCheckFlags, VIR_REQUIRE_FLAG_RET, VIR_EXCLUSIVE_FLAGS_RET),
    whose VIR_ERR_INVALID_ARG texts come without the code's phrase."""
    raise SnapshotError(code, (_PREFIXES.get(code, "") if prefixed else "") + detail)
