"""Select an implementation with one string, ``KIND:TARGET`` (a *connectable*)."""

from __future__ import annotations

from pathlib import Path

from harness.adapters.base import AdapterError
from harness.adapters.python import PythonAdapter
from harness.contract import Adapter

KINDS = {
    "python": "python:PACKAGE.MODULE[:ATTR] - an implementation in a Python module",
    "http": "http://HOST[:PORT][/PATH] - an endpoint speaking the HTTP contract (docs/http.md)",
    "https": "https://HOST[:PORT][/PATH] - the same over TLS",
    "virsh": "virsh:URI - a real libvirt through virsh (e.g. virsh:qemu:///system; docs/host.md)",
    "libvirt": "libvirt:URI - a real libvirt through its Python binding (the libvirt extra)",
    "python-libvirt": "python-libvirt:MODULE[@URI] - a module shaped like the libvirt binding",
    "replay": "replay:FILE - answers from a transcript kept with --record (offline)",
}

DEFAULT_CONNECTABLE = "python:harness.reference"


def connect(
    connectable: str, *, timeout: float | None = None, record: str | None = None
) -> Adapter:
    """The adapter for ``connectable``; :class:`AdapterError` with the accepted forms if bad.
    With ``record``, the conversation is appended to that transcript file."""
    adapter = _connect(connectable, timeout=timeout)
    if record:
        from harness.replay import Recorder

        return Recorder(adapter, Path(record))
    return adapter


def _connect(connectable: str, *, timeout: float | None = None) -> Adapter:
    kind, sep, target = connectable.partition(":")
    if kind in ("virsh", "libvirt") and not target:  # the URI from $LIBVIRT_DEFAULT_URI
        sep = ":"
    if not sep:
        raise AdapterError(f"{connectable!r} is not KIND:TARGET; known kinds:\n  " + _forms())
    if kind == "python":
        return PythonAdapter(target) if timeout is None else PythonAdapter(target, timeout=timeout)
    if kind in ("http", "https"):
        from harness.adapters.http import HttpAdapter

        return HttpAdapter(connectable, timeout=timeout)
    if kind == "virsh":
        from harness.adapters.virsh import VirshAdapter

        return VirshAdapter(target)
    if kind == "replay":
        from harness.replay import ReplayAdapter

        return ReplayAdapter(target)
    if kind in ("libvirt", "python-libvirt"):
        from harness.adapters.libvirt_binding import LibvirtAdapter

        if kind == "libvirt":
            return LibvirtAdapter(target)
        return LibvirtAdapter.from_module_target(target)
    raise AdapterError(f"unknown implementation kind {kind!r}; known kinds:\n  " + _forms())


def _forms() -> str:
    return "\n  ".join(KINDS.values())
