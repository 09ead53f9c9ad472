"""Scratch domains ("fixtures"): provision, reset between cases, recreate, tear down.

One fixture domain at a time per adapter. A case whose context needs the same disks and
persistence as the current fixture reuses it after a *reset* (the case's snapshots deleted,
metadata first, the definition restored, stray files removed, the state changed); anything
the reset cannot restore with certainty (the domain still running on an overlay, a
``no-metadata`` snapshot libvirt no longer knows about, an error mid-case) marks the fixture
dirty, and the next case gets a new one (*recreate*). With ``fixture="recreate"`` every case
gets a new one. On the test driver through virsh every case runs in a new virsh process,
which starts from the driver's stock state, so the fixture is defined afresh each case.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from harness.contract import DiskSpec, DomainState
from harness.host.backend import Backend
from harness.host.errors import BackendDown, LibvirtFailure
from harness.host.journal import RunDir
from harness.host.safety import (
    HostOptions,
    SafetyError,
    is_private_uri,
    metadata_element,
    verify_owned,
)
from harness.host.storage import Storage, StorageError, storage_for
from harness.xmlsafe import XmlError, parse_xml

IMAGE_FORMATS = ("qcow2", "raw", "qed")


class ProvisionError(Exception):
    """The context cannot be provisioned (an Errored case, not libvirt's answer)."""


@dataclass(frozen=True)
class DomainSpec:
    disks: tuple[DiskSpec, ...]
    persistent: bool = True
    #: create the disks' images under scratch (False: sources are references only)
    images: bool = True


@dataclass
class Fixture:
    spec: DomainSpec
    name: str
    uuid: str
    xml: str
    dirty: str | None = None  # why the fixture cannot be reset


@dataclass
class Stats:
    provisioned: int = 0
    reused: int = 0
    #: ``destroy`` calls on fixtures (in the case's path or, retired, in the background)
    destroyed: int = 0
    #: fixtures torn down in the background (:class:`Retirer`)
    retired: int = 0
    recreate_reasons: dict[str, int] = field(default_factory=dict)
    prepare_seconds: float = 0.0
    finish_seconds: float = 0.0


def domain_xml(spec: DomainSpec, name: str, uuid: str | None, run: RunDir | None) -> str:
    """A guest without an OS: 64 MiB, 1 vcpu, machine pc, no graphics, the given disks
    (with the run's ownership metadata when ``run`` is given)."""
    E = etree.Element
    dom = E("domain", type="qemu")
    etree.SubElement(dom, "name").text = name
    if uuid is not None:
        etree.SubElement(dom, "uuid").text = uuid
    if run is not None:
        meta = etree.SubElement(dom, "metadata")
        meta.append(etree.fromstring(metadata_element(run)))
    etree.SubElement(dom, "memory", unit="MiB").text = "64"
    etree.SubElement(dom, "vcpu").text = "1"
    os_el = etree.SubElement(dom, "os")
    etree.SubElement(os_el, "type", arch="x86_64", machine="pc").text = "hvm"
    devices = etree.SubElement(dom, "devices")
    for d in spec.disks:
        disk = etree.SubElement(devices, "disk", type=d.type, device=d.device)
        if d.snapshot is not None:
            disk.set("snapshot", d.snapshot)
        etree.SubElement(disk, "driver", name="qemu", type=d.format)
        if d.source is not None:
            attr = {"file": "file", "block": "dev", "dir": "dir"}.get(d.type, "file")
            etree.SubElement(disk, "source", {attr: d.source})
        etree.SubElement(disk, "target", dev=d.target, bus=d.bus)
        if d.readonly:
            etree.SubElement(disk, "readonly")
    etree.indent(dom, "  ")
    return etree.tostring(dom, encoding="unicode") + "\n"


def disk_sources(xml: str) -> dict[str, str | None]:
    """target -> source path of a domain definition's disks."""
    root = parse_xml(xml, what="domain XML")
    out: dict[str, str | None] = {}
    for disk in root.iterfind("devices/disk"):
        target = disk.find("target")
        if target is None:
            continue
        source = disk.find("source")
        path = None
        if source is not None:
            path = source.get("file") or source.get("dev") or source.get("dir")
        out[str(target.get("dev"))] = path
    return out


def snapshot_traits(xml: str | None) -> tuple[bool, bool]:
    """(wrote internal state into the images, made external files) for a snapshot XML."""
    if not xml:
        return False, False
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return True, True
    memory = root.find("memory")
    modes = [memory.get("snapshot", "")] if memory is not None else []
    modes += [d.get("snapshot", "") for d in root.iterfind("disks/disk")]
    return "internal" in modes, "external" in modes or "manual" in modes


class Fixtures:
    def __init__(
        self,
        backend: Backend,
        run: RunDir,
        options: HostOptions,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.backend = backend
        self.run = run
        self.options = options
        self.current: Fixture | None = None
        self.stats = Stats()
        self._count = 0
        self._images: DomainSpec | None = None  # the spec whose images exist in scratch
        self.retirer: Retirer | None = None
        self._retire_ok: bool | None = None
        self._echo = echo or (lambda _line: None)
        #: where the images live: files here, or volumes of a pool on a remote host
        self.storage: Storage = storage_for(backend, run, options, self._echo)

    @property
    def scratch(self) -> Path:
        return Path(self.storage.scratch)

    # ------------------------------------------------------------------ per case

    def prepare(self, spec: DomainSpec, state: DomainState) -> Fixture:
        """A fixture with ``spec`` in ``state``, with no snapshots."""
        started = time.perf_counter()
        try:
            return self._prepare(spec, state)
        finally:
            self.stats.prepare_seconds += time.perf_counter() - started

    def _prepare(self, spec: DomainSpec, state: DomainState) -> Fixture:
        if not spec.persistent and state == DomainState.SHUTOFF:
            raise ProvisionError("a transient domain cannot be shut off")
        fx = self.current
        if self.backend.ephemeral:
            self.backend.fresh()  # a new process: the driver's stock state, our domains gone
            if fx is not None:
                self.run.journal.append("removed", kind="domain", name=fx.name, uuid=fx.uuid)
            self.current = fx = None
        reason = self._reuse_problem(fx, spec)
        if fx is not None and reason is None:
            try:
                self._bring_to(fx, state)
                self._check_sources(fx)
                self.stats.reused += 1
                return fx
            except (LibvirtFailure, ProvisionError) as exc:
                reason = f"reset failed: {str(exc)[:60]}"
        if fx is not None:
            self.stats.recreate_reasons[reason or "?"] = (
                self.stats.recreate_reasons.get(reason or "?", 0) + 1
            )
            self.teardown(background=True)
        self._images_for(spec)
        self.current = self._provision(spec, state)
        self.stats.provisioned += 1
        return self.current

    def _reuse_problem(self, fx: Fixture | None, spec: DomainSpec) -> str | None:
        if fx is None:
            return "none yet"
        if fx.spec != spec:
            return "other disks"
        if fx.dirty:
            return fx.dirty
        if self.options.fixture == "recreate":
            return "recreate mode"
        return None

    def finish(
        self, created: str | None, created_xml: str | None, flags: tuple[str, ...], clean: bool
    ) -> None:
        """Undo what a case did to the fixture (or mark it dirty when that is unsure)."""
        started = time.perf_counter()
        try:
            self._finish(created, created_xml, flags, clean)
        finally:
            self.stats.finish_seconds += time.perf_counter() - started

    def _finish(
        self, created: str | None, created_xml: str | None, flags: tuple[str, ...], clean: bool
    ) -> None:
        fx = self.current
        if fx is None or (self.backend.ephemeral and not self.options.dry_run):
            return  # the next case starts a new process anyway
        if not clean:
            fx.dirty = "errored case"
        internal, external = snapshot_traits(created_xml)
        if created is not None and "no-metadata" in flags:
            fx.dirty = "no-metadata snapshot"
        try:
            verify_owned(self.backend, fx.uuid, fx.name)
            names = self.backend.snapshot_names(fx.uuid)
            if created is not None and created in names and internal:
                # the case's own snapshot holds internal state: delete it for real
                try:
                    self.backend.snapshot_delete(fx.uuid, created, metadata_only=False)
                except LibvirtFailure as exc:
                    fx.dirty = f"internal snapshot not deleted: {exc.code}"
                if not fx.dirty and self._images_hold_snapshots(fx):
                    fx.dirty = "internal snapshot left in an image"
            # the test driver has no metadata-only delete, and no images to spare either
            metadata_only = not is_private_uri(self.backend.uri)
            for name in self.backend.snapshot_names(fx.uuid):
                self.backend.snapshot_delete(fx.uuid, name, metadata_only=metadata_only)
            if self.backend.snapshot_names(fx.uuid):
                fx.dirty = "snapshots left"
        except (LibvirtFailure, SafetyError) as exc:
            fx.dirty = f"cleanup failed: {type(exc).__name__}"
        if external:
            state = self.backend.domain_state(fx.uuid)
            if state != "shutoff" or not fx.spec.persistent:
                fx.dirty = "external snapshot of an active domain"
            else:
                try:
                    self.backend.define(fx.xml)  # back to the original disk sources
                except LibvirtFailure:
                    fx.dirty = "definition not restored"
        if not fx.dirty:
            self._clear_scratch(keep=self._image_paths(fx.spec))

    # ------------------------------------------------------------------ pieces

    def _images_hold_snapshots(self, fx: Fixture) -> bool:
        """Whether a qcow2 image of the fixture still lists an internal snapshot (a reset
        must leave nothing inside the images: a later savevm of the same name may refuse)."""
        if self.options.dry_run:
            return False
        try:
            return any(
                self.storage.image_snapshots(d.source)
                for d in fx.spec.disks
                if fx.spec.images
                and d.source is not None
                and d.type == "file"
                and d.format == "qcow2"
            )
        except StorageError:
            return True  # not known to be clean: a new fixture, with new images

    def _bring_to(self, fx: Fixture, want: DomainState) -> None:
        b, uuid = self.backend, fx.uuid
        have = b.domain_state(uuid)
        if have == str(want):
            return
        if want == DomainState.SHUTOFF:
            b.destroy(uuid)
            self.stats.destroyed += 1
            return
        if have not in ("shutoff", "running", "paused"):
            b.destroy(uuid)
            self.stats.destroyed += 1
            have = "shutoff"
        if have == "shutoff":
            b.start(uuid, paused=False)  # not --paused: the test driver has no such flag
            have = "running"
        if want == DomainState.PAUSED and have == "running":
            b.suspend(uuid)
        elif want == DomainState.RUNNING and have == "paused":
            b.resume(uuid)

    def _missing_images(self, spec: DomainSpec) -> list[str]:
        """The spec's images that are not (any longer) regular files under scratch (on a
        remote host: volumes of the run's pool)."""
        if self.options.dry_run:
            return []
        paths = self._image_paths(spec)
        if not self.storage.local:
            there = self.storage.files() if paths else set()
            return sorted(str(p) for p in paths if str(p) not in there)
        return sorted(str(p) for p in paths if not p.is_file())

    def _check_sources(self, fx: Fixture) -> None:
        """Verify a fixture before a case reuses it: its images are still there (one
        deleted under the domain is a broken fixture, re-provisioned, never a verdict) and
        its definitions name them."""
        if self.options.dry_run:
            return
        missing = self._missing_images(fx.spec)
        if missing:
            raise ProvisionError(f"image gone: {', '.join(missing)}")
        want = {d.target: d.source for d in fx.spec.disks}
        for inactive in (False, True) if fx.spec.persistent else (False,):
            got = disk_sources(self.backend.domain_xml(fx.uuid, inactive=inactive))
            if got != want:
                raise ProvisionError(f"disk sources are {got}, not {want}")

    def _provision(self, spec: DomainSpec, state: DomainState) -> Fixture:
        self._count += 1
        name = f"{self.run.prefix}d{self._count}"
        uuid = str(uuidlib.uuid4())
        xml = domain_xml(spec, name, uuid, self.run)
        self.run.journal.append("create", kind="domain", name=name, uuid=uuid, uri=self.backend.uri)
        if spec.persistent:
            self.backend.define(xml)
        else:
            self.backend.create_transient(xml, paused=False)
        fx = Fixture(spec, name, uuid, xml)
        self._bring_to(fx, state)
        return fx

    def teardown(self, *, background: bool = False) -> None:
        """Remove the current fixture domain (after checking it is still ours); with
        ``background`` where that is safe (:meth:`Retirer.accepts`), in a thread of the
        :class:`Retirer` while the next case goes on."""
        fx, self.current = self.current, None
        if fx is None:
            return
        b = self.backend
        if b.ephemeral:
            b.fresh()
        elif b.domain_name(fx.uuid) is not None:
            verify_owned(b, fx.uuid, fx.name)
            state = b.domain_state(fx.uuid)
            if background and state != "shutoff" and self._retirer_for(fx):
                assert self.retirer is not None
                self.retirer.retire(fx)
                self.stats.retired += 1
                self.stats.destroyed += 1
                return
            remove_fixture(b, fx, state)
            self.stats.destroyed += state != "shutoff"
        self.run.journal.append("removed", kind="domain", name=fx.name, uuid=fx.uuid)

    def _retirer_for(self, fx: Fixture) -> bool:
        """Whether ``fx`` (running or paused) may be torn down in the background."""
        if self.options.dry_run or is_private_uri(self.backend.uri):
            return False
        twin = getattr(self.backend, "twin", None)
        if not callable(twin):
            return False
        if self._retire_ok is None:
            self._retire_ok = relabels_nothing(self.backend.domain_xml(fx.uuid))
        if not self._retire_ok:
            return False
        if self.retirer is None:
            self.retirer = Retirer(twin, self.run)
        return True

    def drain(self) -> list[str]:
        """Wait for the background teardowns; what could not be removed."""
        retirer, self.retirer = self.retirer, None
        return [] if retirer is None else retirer.drain()

    def _image_paths(self, spec: DomainSpec) -> set[Path]:
        if not spec.images:
            return set()
        return {Path(d.source) for d in spec.disks if d.source is not None and d.type == "file"}

    def _images_for(self, spec: DomainSpec) -> None:
        """Make the spec's disk images (fresh ones: nothing of an earlier case survives).
        Through virsh on the test driver, which never writes them, they are kept."""
        if self.backend.ephemeral and self._images == spec and not self._missing_images(spec):
            return
        self._clear_scratch(keep=set())
        self._images = None
        if not spec.images:
            return
        base = os.path.normpath(self.scratch)
        for d in spec.disks:
            if d.source is None:
                continue
            if d.type != "file":
                raise ProvisionError(f"disk {d.target}: type {d.type!r} needs a host device")
            path = os.path.normpath(d.source)
            if not path.startswith(base + "/"):
                raise ProvisionError(
                    f"disk {d.target}: source {d.source} is outside the scratch directory"
                )
            if d.format not in IMAGE_FORMATS:
                raise ProvisionError(f"disk {d.target}: cannot make a {d.format!r} image")
            try:
                self.storage.make_image(path, d.format)
            except StorageError as exc:
                raise ProvisionError(str(exc)) from exc
        self._images = spec

    def _clear_scratch(self, keep: set[Path]) -> None:
        """Remove everything under scratch but ``keep`` (all of it is this run's)."""
        if self.options.dry_run:
            return
        self.storage.clear({str(p) for p in keep})


def relabels_nothing(live_xml: str) -> bool:
    """Whether stopping this running domain can change nothing about its image files but
    their owner, and only back to root, which QEMU runs as: every ``<seclabel>`` of its live
    definition is ``none`` or the DAC model with label and image label ``+0:+0`` (no
    SELinux or AppArmor relabelling). Only then may a retired fixture be destroyed while a
    new one already uses fresh images at the same paths."""
    try:
        root = parse_xml(live_xml, what="domain XML")
    except XmlError:
        return False
    for label in root.iterfind("seclabel"):
        if label.get("type") == "none" or label.get("relabel") == "no":
            continue
        if label.get("model") != "dac":
            return False
        if (label.findtext("label") or "+0:+0") != "+0:+0":
            return False
        if (label.findtext("imagelabel") or "+0:+0") != "+0:+0":
            return False
    return True


def remove_fixture(backend: Backend, fx: Fixture, state: str) -> None:
    """Destroy (unless shut off) and undefine (if persistent and still there) ``fx``."""
    if state != "shutoff":
        backend.destroy(fx.uuid)
    if fx.spec.persistent and backend.domain_name(fx.uuid) is not None:
        backend.undefine(fx.uuid)


class Retirer:
    """Tears fixtures down in background threads, each on its own backend session.

    A ``destroy`` costs seconds on a host whose init reaps the exited QEMU late (libvirt
    waits until the process is gone); the run needs nothing of a retired fixture, so that
    wait overlaps the next cases. Each domain is journaled as removed once it really is;
    what fails stays journaled for the run's cleanup (and ``snapconform cleanup``)."""

    def __init__(self, twin: Callable[[], Backend], run: RunDir, workers: int = 3) -> None:
        self._twin = twin
        self._run = run
        self._queue: queue.Queue[Fixture | None] = queue.Queue()
        self._problems: list[str] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"snapconform-retire-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def retire(self, fx: Fixture) -> None:
        self._queue.put(fx)

    def _work(self) -> None:
        backend: Backend | None = None
        try:
            while (fx := self._queue.get()) is not None:
                try:
                    if backend is None:
                        backend = self._twin()
                    remove_fixture(backend, fx, backend.domain_state(fx.uuid))
                    self._run.journal.append("removed", kind="domain", name=fx.name, uuid=fx.uuid)
                except (LibvirtFailure, BackendDown) as exc:
                    with self._lock:
                        self._problems.append(f"domain {fx.name} ({fx.uuid}): {exc}")
                finally:
                    self._queue.task_done()
        finally:
            if backend is not None:
                backend.close()

    def drain(self) -> list[str]:
        """Wait until every retired fixture is handled; stop the threads."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        with self._lock:
            problems, self._problems = self._problems, []
        return problems


__all__ = [
    "BackendDown",
    "DomainSpec",
    "Fixture",
    "Fixtures",
    "ProvisionError",
    "Retirer",
    "Stats",
    "disk_sources",
    "domain_xml",
    "snapshot_traits",
]
