"""Where a run's scratch images live: local files, or a storage pool of the run's own.

A local host (``qemu:///system``, a socket URI, the test driver) shares the harness's
filesystem: images are made with ``qemu-img`` under the run directory's ``scratch/`` and
inspected with ``qemu-img info``. A remote host (``qemu+tcp://``, ``qemu+ssh://``,
``qemu+tls://``, any URI naming a host) does not: there every image is provisioned through
libvirt's storage API only. The run defines a ``dir`` pool of its own,
``snapconform-<run>-scratch``, whose target directory ``<remote dir>/snapconform-<run>-scratch``
(default ``/var/tmp``) is what ``@SCRATCH@`` stands for; libvirt builds the directory, the
images are volumes of it (``vol-create-as`` / ``storageVolCreateXML``), overlays and memory
files the domain writes there are seen by refreshing the pool, internal snapshots by reading
the qcow2 header of a volume back (``vol-download``), and a reset removes files with
``vol-delete``. The pool and every volume are journaled before they are made; the pool goes
(volumes deleted, pool destroyed, its directory deleted, pool undefined) at the end of the
run, or by ``snapconform cleanup`` after a killed one, and only after the pool's UUID, name
and target directory are checked to still be the journaled ones.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from harness.host import qcow2, trace
from harness.host.backend import Backend
from harness.host.errors import LibvirtFailure
from harness.host.images import image_snapshots
from harness.host.journal import OWNED_POOL, RunDir
from harness.host.safety import HostOptions, SafetyError, is_private_uri
from harness.xmlsafe import XmlError, parse_xml

IMAGE_SIZE = "64M"
#: transports that reach a daemon over the network (libvirt's remote driver URI syntax)
REMOTE_TRANSPORTS = ("tcp", "tls", "ssh", "libssh", "libssh2", "ext")


class StorageError(Exception):
    """An image could not be provisioned (the case errors; never a verdict)."""


def is_remote_uri(uri: str) -> bool:
    """Whether a URI reaches a daemon whose filesystem the harness may not share: a network
    transport (``driver+tcp``, ``+tls``, ``+ssh``, ...) or a host name (``qemu://host/``,
    which is TLS). ``driver+unix``, socket URIs and the test driver are local."""
    if is_private_uri(uri):
        return False
    parts = urlsplit(uri)
    transport = parts.scheme.partition("+")[2]
    if transport:
        return transport in REMOTE_TRANSPORTS
    return bool(parts.netloc)


def uses_pool(uri: str, options: HostOptions) -> bool:
    """The pool is used on a remote URI, or anywhere with ``SNAPCONFORM_STORAGE=pool``."""
    if is_private_uri(uri) or options.storage == "local":
        return False
    return options.storage == "pool" or is_remote_uri(uri)


def pool_name(run: RunDir) -> str:
    return f"{run.prefix}scratch"


def scratch_path(options: HostOptions, run_id: str, pool: bool) -> str:
    """What ``@SCRATCH@`` stands for in run ``run_id``."""
    if pool:
        return os.path.join(str(options.remote_dir), f"snapconform-{run_id}-scratch")
    return str(options.root / run_id / "scratch")


class Storage(Protocol):
    scratch: str
    #: True when the harness itself can see the images (qemu-img, file checks)
    local: bool

    def make_image(self, path: str, fmt: str) -> None: ...

    def files(self) -> set[str]:
        """The paths directly under scratch."""

    def clear(self, keep: set[str]) -> None:
        """Remove everything under scratch but ``keep``."""

    def image_snapshots(self, path: str) -> list[str]:
        """Names of the internal snapshots inside the qcow2 image at ``path``."""

    def teardown(self) -> None:
        """Remove the storage itself (the pool); local files go with the run directory."""


class LocalStorage:
    local = True

    def __init__(self, run: RunDir, options: HostOptions, echo: Callable[[str], None]) -> None:
        self.run = run
        self.options = options
        self.scratch = str(run.scratch)
        self._echo = echo

    def make_image(self, path: str, fmt: str) -> None:
        cmd = ["qemu-img", "create", "-q", "-f", fmt, path, IMAGE_SIZE]
        self.run.journal.append("create", kind="file", path=path)
        if self.options.dry_run:
            self._echo(" ".join(cmd))
            return
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        result = trace.run(cmd, timeout=60)
        if result.returncode != 0:
            raise StorageError(f"{' '.join(cmd)} failed: {result.stderr.strip()}")

    def files(self) -> set[str]:
        scratch = Path(self.scratch)
        if not scratch.is_dir():
            return set()
        return {str(p) for p in scratch.iterdir()}

    def clear(self, keep: set[str]) -> None:
        scratch = Path(self.scratch)
        if self.options.dry_run or not scratch.is_dir():
            return
        began = time.time()
        removed = []
        for entry in scratch.iterdir():
            if str(entry) in keep:
                continue
            removed.append(str(entry))
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if removed:
            trace.record("unlink", removed, began, time.time() - began, False)

    def image_snapshots(self, path: str) -> list[str]:
        return image_snapshots(path)

    def teardown(self) -> None:
        return None


def pool_xml(name: str, uuid: str, path: str) -> str:
    return (
        f"<pool type='dir'><name>{escape(name)}</name><uuid>{uuid}</uuid>"
        f"<target><path>{escape(path)}</path></target></pool>\n"
    )


def pool_target(xml: str) -> tuple[str | None, str | None]:
    """(type, target path) of a pool definition."""
    try:
        root = parse_xml(xml, what="pool XML")
    except XmlError:
        return None, None
    return root.get("type"), root.findtext("target/path")


def verify_owned_pool(backend: Backend, uuid: str, name: str) -> None:
    """Refuse to touch a pool unless ``uuid`` still names our ``name``, a ``dir`` pool whose
    target directory is named like the pool (what :class:`PoolStorage` defines)."""
    now = backend.pool_name(uuid)
    if now != name or OWNED_POOL.match(name) is None:
        raise SafetyError(
            f"refusing to touch storage pool {uuid}: it is named {now!r}, not {name!r} as journaled"
        )
    kind, path = pool_target(backend.pool_xml(uuid))
    if kind != "dir" or path is None or os.path.basename(path.rstrip("/")) != name:
        raise SafetyError(
            f"refusing to touch storage pool {name} ({uuid}): it is a {kind!r} pool on "
            f"{path!r}, not a dir pool on a directory named {name}"
        )


def remove_pool(backend: Backend, name: str, uuid: str) -> bool:
    """Delete every volume of our pool, then the pool and its directory; False if gone."""
    if backend.pool_name(uuid) is None:
        return False
    verify_owned_pool(backend, uuid, name)
    if not backend.pool_active(uuid):
        try:
            backend.pool_start(uuid)  # volumes can only be listed and deleted when active
        except LibvirtFailure:
            # it never started (a build that failed, a directory gone): libvirt reaches no
            # volume of it, so only its definition is left to remove
            backend.pool_undefine(uuid)
            return True
    backend.pool_refresh(uuid)
    for vol in sorted(backend.vol_paths(uuid)):
        backend.vol_delete(uuid, vol)
    backend.pool_destroy(uuid)
    backend.pool_delete(uuid)
    backend.pool_undefine(uuid)
    return True


class PoolStorage:
    local = False

    def __init__(self, backend: Backend, run: RunDir, options: HostOptions) -> None:
        self.backend = backend
        self.run = run
        self.options = options
        self.name = pool_name(run)
        self.scratch = scratch_path(options, run.run_id, pool=True)
        self.uuid: str | None = None

    def _ready(self) -> str:
        if self.uuid is None:
            uuid = str(uuidlib.uuid4())
            self.run.journal.append(
                "create", kind="pool", name=self.name, uuid=uuid, path=self.scratch,
                uri=self.backend.uri,
            )  # fmt: skip
            self.backend.pool_define(pool_xml(self.name, uuid, self.scratch))
            self.uuid = uuid
            self.backend.pool_build(uuid)
            self.backend.pool_start(uuid)
        return self.uuid

    def _volume(self, path: str) -> str:
        if os.path.dirname(os.path.normpath(path)) != self.scratch:
            raise StorageError(f"{path} is not directly under the pool's {self.scratch}")
        return os.path.basename(path)

    def make_image(self, path: str, fmt: str) -> None:
        pool, name = self._ready(), self._volume(path)
        self.run.journal.append("create", kind="volume", pool=self.name, name=name, path=path)
        try:
            self.backend.vol_create(pool, name, fmt, IMAGE_SIZE)
        except LibvirtFailure as exc:
            raise StorageError(f"vol-create-as {self.name} {name} failed: {exc}") from exc

    def _volumes(self) -> dict[str, str]:
        if self.uuid is None or self.options.dry_run:
            return {}
        self.backend.pool_refresh(self.uuid)
        return self.backend.vol_paths(self.uuid)

    def files(self) -> set[str]:
        return set(self._volumes().values())

    def clear(self, keep: set[str]) -> None:
        for name, path in sorted(self._volumes().items()):
            if path not in keep:
                assert self.uuid is not None
                self.backend.vol_delete(self.uuid, name)

    def image_snapshots(self, path: str) -> list[str]:
        if self.uuid is None or self.options.dry_run:
            return []
        name = self._volume(path)
        try:
            head = qcow2.parse_header(self.backend.vol_read(self.uuid, name, 0, qcow2.HEADER_BYTES))
            if not head.snapshots:
                return []
            table = self.backend.vol_read(
                self.uuid, name, head.snapshots_offset, 4096 + 1024 * head.snapshots
            )
            return qcow2.snapshot_names(table, head.snapshots)
        except (qcow2.Qcow2Error, LibvirtFailure) as exc:
            # not knowing is not "none": the caller treats the image as unclean
            raise StorageError(f"cannot read the qcow2 header of volume {name}: {exc}") from exc

    def teardown(self) -> None:
        if self.uuid is None:
            return
        if self.options.dry_run:
            self.run.journal.append("removed", kind="pool", name=self.name, uuid=self.uuid)
            return
        remove_pool(self.backend, self.name, self.uuid)
        self.run.journal.append("removed", kind="pool", name=self.name, uuid=self.uuid)
        self.uuid = None


def storage_for(
    backend: Backend, run: RunDir, options: HostOptions, echo: Callable[[str], None]
) -> Storage:
    if uses_pool(backend.uri, options):
        return PoolStorage(backend, run, options)
    return LocalStorage(run, options, echo)
