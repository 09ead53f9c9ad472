"""A module shaped like the libvirt binding whose calls run in another Python: a release
chroot's own python3-libvirt (``SNAPCONFORM_LIBVIRT_PYTHON``, e.g.
``/var/lib/snapconform-releases/7.0/bin/python3``). The test driver lives in the client
library, so a release's test driver through the binding is measured this way:
``python-libvirt:harness.chroot_libvirt@test:///default``.

Objects stay in the child; the parent holds handles. Arguments and results are JSON values;
a libvirt object comes back as a handle, a ``libvirtError`` as this module's
:class:`libvirtError` with the child's code and message. One child per process, calls
serialised by a lock (the binding adapter calls from worker threads).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from typing import Any

#: what runs in the child: Python 3.9 compatible (Debian 11's python3)
_SERVER = r"""
import json, sys, libvirt
objs = {}
def wrap(v):
    if isinstance(v, (list, tuple)):
        return [wrap(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {str(k): wrap(x) for k, x in v.items()}
    objs[id(v)] = v
    return {"__handle__": id(v), "type": type(v).__name__}
def unwrap(v):
    if isinstance(v, dict) and "__handle__" in v:
        return objs[v["__handle__"]]
    if isinstance(v, list):
        return [unwrap(x) for x in v]
    return v
consts = {k: v for k, v in vars(libvirt).items() if k.startswith("VIR_") and isinstance(v, int)}
out = sys.stdout
out.write(json.dumps({"ok": consts}) + "\n"); out.flush()
for line in sys.stdin:
    req = json.loads(line)
    try:
        if req.get("drop") is not None:
            objs.pop(req["drop"], None); continue
        target = libvirt if req["h"] is None else objs[req["h"]]
        res = {"ok": wrap(getattr(target, req["m"])(*unwrap(req["a"])))}
    except libvirt.libvirtError as e:
        res = {"err": [e.get_error_code(), e.get_error_domain(), str(e.get_error_message() or e)]}
    except Exception as e:
        res = {"exc": type(e).__name__ + ": " + str(e)}
    out.write(json.dumps(res) + "\n"); out.flush()
"""

#: the client command, named in the identity (provenance says which client answered)
CLIENT_COMMAND = os.environ.get("SNAPCONFORM_LIBVIRT_PYTHON", "")


class libvirtError(Exception):
    def __init__(self, code: int, domain: int, message: str) -> None:
        super().__init__(message)
        self._code, self._domain, self._message = code, domain, message

    def get_error_code(self) -> int:
        return self._code

    def get_error_domain(self) -> int:
        return self._domain

    def get_error_message(self) -> str:
        return self._message


class _Child:
    """The child Python. Failing to start it is an ImportError (the adapter reports a module
    it cannot import, with the child's own words: a release wrapper refuses while its release
    is down); its stderr goes to a file, read back when it exits."""

    def __init__(self, python: str) -> None:
        self.lock = threading.Lock()
        # lives as long as the child (one per process); closed with it at exit
        self.stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                [python, "-c", _SERVER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                text=True,
                bufsize=1,
            )
        except OSError as exc:
            raise ImportError(f"SNAPCONFORM_LIBVIRT_PYTHON={python}: {exc}") from exc
        try:
            self.constants: dict[str, int] = self._read()["ok"]
        except RuntimeError as exc:
            raise ImportError(str(exc)) from exc

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self.stderr.seek(0)
            said = self.stderr.read()[-2000:].strip()
            raise RuntimeError(
                f"{CLIENT_COMMAND}: the libvirt child exited (status {code})"
                + (f": {said}" if said else "")
            )
        try:
            data: dict[str, Any] = json.loads(line)
        except ValueError as exc:
            raise RuntimeError(f"{CLIENT_COMMAND}: not an answer: {line[:200]!r}") from exc
        return data

    def call(self, handle: int | None, method: str, args: tuple[Any, ...]) -> Any:
        with self.lock:
            assert self.proc.stdin is not None
            request = {"h": handle, "m": method, "a": [_unwrap(a) for a in args]}
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self._read()
        if "err" in answer:
            raise libvirtError(*answer["err"])
        if "exc" in answer:
            raise RuntimeError(answer["exc"])
        return _wrap(answer["ok"])


class _Remote:
    """A libvirt object living in the child."""

    def __init__(self, handle: int, type_name: str) -> None:
        self._handle, self._type = handle, type_name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: _child().call(self._handle, name, args)

    def __repr__(self) -> str:
        return f"<{self._type} in {CLIENT_COMMAND}>"


def _wrap(value: Any) -> Any:
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, dict) and "__handle__" in value:
        return _Remote(value["__handle__"], value["type"])
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, _Remote):
        return {"__handle__": value._handle}
    if isinstance(value, (list, tuple)):
        return [_unwrap(v) for v in value]
    return value


_CHILD: _Child | None = None
_CHILD_LOCK = threading.Lock()


def _child() -> _Child:
    global _CHILD
    with _CHILD_LOCK:
        if _CHILD is None:
            if not CLIENT_COMMAND:
                raise RuntimeError(
                    "set SNAPCONFORM_LIBVIRT_PYTHON to a Python with the libvirt binding "
                    "(e.g. /var/lib/snapconform-releases/7.0/bin/python3)"
                )
            _CHILD = _Child(CLIENT_COMMAND)
            # the constants as attributes too: code names are looked up by scanning them
            globals().update(_CHILD.constants)
        return _CHILD


def open(uri: str | None = None) -> Any:
    return _child().call(None, "open", (uri,))


def getVersion() -> int:
    return int(_child().call(None, "getVersion", ()))


def __getattr__(name: str) -> Any:
    if name.startswith("VIR_"):
        try:
            return _child().constants[name]
        except KeyError:
            raise AttributeError(name) from None
    raise AttributeError(name)


if CLIENT_COMMAND:
    _child()  # the adapter lists the VIR_ERR_* names when it starts: have them at import
