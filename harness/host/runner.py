"""``identify()`` and ``run()`` for a real libvirt, on top of a :class:`Backend`.

* semantics / host, ``create`` and ``redefine``: a scratch domain as the context says (see
  :mod:`harness.host.domains`), ``context.existing`` redefined first, then the request, then
  the stored definition read back (``snapshot-dumpxml`` / ``getXMLDesc()``);
* syntax, ``parse``: libvirt has no parse-only API; the document is *redefined* on a
  shut-off scratch domain shaped like its embedded ``<domain>`` and read back. That is how
  the corpus's syntax expectations were confirmed live, and it runs libvirt's parser and
  formatter, plus redefine's own checks (required fields, disk alignment to the domain).

libvirt's refusal of the request is :class:`Rejected` (kind from the error code); a fault of
the harness, the session or the host is :class:`Errored`.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from harness.adapters.base import AdapterError, checked_xml
from harness.contract import (
    Accepted,
    DomainState,
    Errored,
    Identity,
    Level,
    Operation,
    Outcome,
    Rejected,
    Request,
    Unstored,
    View,
)
from harness.host.backend import Backend, HostInfo
from harness.host.documents import (
    Translation,
    embed_domain,
    embedded_domain_name,
    parent_stub,
    parse_plan,
    snapshot_name,
    strip_domain,
)
from harness.host.domains import (
    DomainSpec,
    Fixture,
    Fixtures,
    ProvisionError,
    snapshot_traits,
)
from harness.host.effects import observe_effects
from harness.host.errors import BackendDown, LibvirtFailure, outcome_for_failure
from harness.host.journal import RunDir, new_run_id
from harness.host.safety import HostOptions, SafetyError, check_can_start, paths_outside
from harness.host.storage import StorageError, scratch_path, uses_pool
from harness.ordering import FixtureKey

#: a fixture goes shut off -> running -> paused with a start and a suspend, never a destroy
STATE_RANK = {DomainState.SHUTOFF: 0, DomainState.RUNNING: 1, DomainState.PAUSED: 2}


def tr_views(tr: Translation, views: list[View]) -> tuple[View, ...]:
    """Views with the scratch domain's identity turned back into the request's."""
    return tuple(
        View(v.source, v.name, None if v.xml is None else tr.from_host(v.xml)) for v in views
    )


class HostRunner:
    def __init__(
        self,
        backend: Backend,
        options: HostOptions,
        *,
        name: str,
        run_id: str | None = None,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.backend = backend
        self.options = options
        self.name = name
        self.run_id = run_id or new_run_id()
        #: images through libvirt's storage API (a remote host), not local files
        self.pool = uses_pool(getattr(backend, "uri", ""), options)
        #: what @SCRATCH@ stands for (made when the first case runs)
        self.scratch = scratch_path(options, self.run_id, self.pool)
        self._echo = echo or (lambda _line: None)
        self._run_dir: RunDir | None = None
        self._fixtures: Fixtures | None = None
        self._info: HostInfo | None = None
        self._checked = False
        self._closed = False
        self.cases = 0
        self.case_seconds = 0.0

    # ------------------------------------------------------------------ identify

    def info(self) -> HostInfo:
        if self._info is None:
            try:
                self._info = self.backend.info()
            except (LibvirtFailure, BackendDown) as exc:
                raise AdapterError(f"cannot reach libvirt at {self.backend.uri}: {exc}") from exc
        return self._info

    def identify(self) -> Identity:
        info = self.info()
        self._check()
        return Identity(
            name=self.name,
            version=info.libvirt,
            levels=frozenset({Level.SYNTAX, Level.SEMANTICS, Level.HOST}),
            operations=frozenset({Operation.PARSE, Operation.CREATE, Operation.REDEFINE}),
            details={
                "driver": info.driver,
                "libvirt": info.libvirt,
                "hypervisor": info.hypervisor,
                "uri": info.uri,
                "client": info.client,
            }
            | ({info.command_detail: info.command} if info.command else {}),
        )

    def _check(self) -> None:
        if not self._checked:
            if not self.pool and not self.options.dry_run and shutil.which("qemu-img") is None:
                # the scratch domains' disk images are made with it, whatever the adapter
                raise AdapterError(
                    "qemu-img is not installed; the harness makes its scratch disk images "
                    "with it (on Debian: apt-get install qemu-utils)"
                )
            try:
                check_can_start(self.backend, self.options)
            except (LibvirtFailure, BackendDown) as exc:
                raise AdapterError(f"cannot inspect {self.backend.uri}: {exc}") from exc
            self._checked = True

    def _fixtures_ready(self) -> Fixtures:
        if self._fixtures is None:
            self._check()
            info = self.info()
            self._run_dir = RunDir.create(
                self.options.root,
                self.run_id,
                uri=self.backend.uri,
                driver=info.driver,
                adapter=self.name,
            )
            atexit.register(self.close)
            self._fixtures = Fixtures(self.backend, self._run_dir, self.options, self._echo)
        return self._fixtures

    # ------------------------------------------------------------------ run

    def run(self, request: Request) -> Outcome:
        if self._closed:
            return Errored("the adapter is closed")
        started = time.perf_counter()
        try:
            fixtures = self._fixtures_ready()
        except (OSError, AdapterError) as exc:
            return Errored(f"cannot set up the run: {exc}")
        created: str | None = None
        created_xml: str | None = None
        flags: tuple[str, ...] = ()
        clean = False
        try:
            if request.operation == Operation.PARSE:
                outcome = self._parse(fixtures, request.xml)
            else:
                outcome, created, created_xml, flags = self._apply(fixtures, request)
            clean = not isinstance(outcome, Errored)
        except (ProvisionError, SafetyError, StorageError) as exc:
            outcome = Errored(f"cannot provision the context: {exc}")
        except BackendDown as exc:
            outcome = Errored(f"libvirt session failed: {exc}")
        except LibvirtFailure as exc:
            outcome = Errored(f"libvirt failed while preparing the case: {exc}")
        try:
            fixtures.finish(created, created_xml, flags, clean)
        except (LibvirtFailure, BackendDown, SafetyError) as exc:
            if fixtures.current is not None:
                fixtures.current.dirty = f"finish failed: {type(exc).__name__}"
        self.cases += 1
        self.case_seconds += time.perf_counter() - started
        if self.options.dry_run:
            return Errored("dry run: the commands above were printed, not run")
        return outcome

    def fixture_key(self, request: Request) -> FixtureKey:
        """Which fixture ``request`` runs on, for ordering cases (see :mod:`harness.ordering`):
        the domain (disks, persistence) as a group name, and the rank within the group (the
        state, then 1 for a request expected to leave the fixture dirty). None: no fixture."""
        try:
            if request.operation == Operation.PARSE:
                plan = parse_plan(request.xml, self.scratch)
                base = os.path.normpath(self.scratch) + "/"
                images = all(d.source is None or d.source.startswith(base) for d in plan.disks)
                spec, state = DomainSpec(plan.disks, True, images), DomainState.SHUTOFF
            else:
                spec, state = self._spec(request)
        except (ProvisionError, ValueError, AdapterError):
            return None
        dirties = False
        if request.operation == Operation.CREATE and request.context is not None:
            flags = {str(f) for f in request.context.flags}
            _internal, external = snapshot_traits(request.xml)
            active = state != DomainState.SHUTOFF
            dirties = "no-metadata" in flags or (active and (external or "disk-only" in flags))
        return repr((spec.disks, spec.persistent, spec.images)), (STATE_RANK[state], int(dirties))

    def _spec(self, request: Request) -> tuple[DomainSpec, DomainState]:
        ctx = request.context
        if ctx is None:
            raise ProvisionError(f"{request.level}/{request.operation} needs a context")
        return DomainSpec(disks=ctx.disks, persistent=ctx.persistent), ctx.state

    def _apply(
        self, fixtures: Fixtures, request: Request
    ) -> tuple[Outcome, str | None, str | None, tuple[str, ...]]:
        spec, state = self._spec(request)
        assert request.context is not None
        outside = paths_outside(request.xml, Path(self.scratch))
        if outside and request.operation == Operation.CREATE:
            raise SafetyError(
                "the document would make libvirt write outside the scratch directory "
                f"({', '.join(outside)}); refused"
            )
        fx = fixtures.prepare(spec, state)
        tr = Translation(ours_uuid=fx.uuid, ours_name=fx.name, theirs_uuid=request.context.uuid)
        for number, doc in enumerate(request.context.existing, 1):
            try:
                self.backend.snapshot_create(fx.uuid, tr.to_host(doc), ("redefine",))
            except LibvirtFailure as exc:
                return (
                    Errored(f"redefining existing snapshot #{number} failed: {exc}"),
                    None,
                    None,
                    (),
                )
        xml = tr.to_host(request.xml)
        tr.theirs_name = embedded_domain_name(request.xml) or next(
            (n for n in map(embedded_domain_name, request.context.existing) if n), None
        )
        flags = tuple(sorted(str(f) for f in request.context.flags))
        if request.operation == Operation.REDEFINE:
            flags = ("redefine", *flags)
        outcome, name, stored = self._create_and_read(fixtures, fx, xml, flags, tr)
        made = name if request.operation == Operation.CREATE else None
        return outcome, made, stored, flags

    def _create_and_read(
        self, fixtures: Fixtures, fx: Fixture, xml: str, flags: tuple[str, ...], tr: Translation
    ) -> tuple[Outcome, str | None, str | None]:
        """Create (or redefine), then read the definition back through every view.

        A refused create is :class:`Rejected`. A create that succeeded but whose definition
        cannot be read back (``--no-metadata``) is :class:`Unstored`, with what the request
        did instead: never a rejection, since libvirt did carry it out."""
        before = fixtures.storage.files()
        try:
            made = self.backend.snapshot_create(fx.uuid, xml, flags)
        except LibvirtFailure as exc:
            return self._refusal(exc, tr, "snapshot create"), None, None
        name = made.name or snapshot_name(xml)
        try:
            stored = (
                self.backend.snapshot_xml(fx.uuid, name)
                if name is not None
                else self.backend.current_snapshot_xml(fx.uuid)
            )
        except LibvirtFailure as exc:
            return self._unstored(fixtures, fx, name, exc, before), name, None
        views = self._views(fx, made.views, name or snapshot_name(stored), flags)
        return checked_xml(Accepted(tr.from_host(stored), tr_views(tr, views))), name, stored

    def _unstored(
        self,
        fixtures: Fixtures,
        fx: Fixture,
        name: str | None,
        exc: LibvirtFailure,
        before: set[str],
    ) -> Outcome:
        if self.options.dry_run:
            return Unstored(name)
        effects = observe_effects(self.backend, fx, fixtures.storage, before)
        return Unstored(name, effects, f"reading it back: {exc}")

    def _views(
        self, fx: Fixture, made: tuple[View, ...], name: str | None, flags: tuple[str, ...]
    ) -> list[View]:
        """The create call's own views, the listing, and the current snapshot where the
        snapshot just made is the current one (a create; a redefine only with --current)."""
        views = list(made)
        if name is not None:
            views.append(self.backend.list_view(fx.uuid, name))
        if "redefine" not in flags or "current" in flags:
            views.append(self.backend.current_view(fx.uuid))
        return views

    def _refusal(self, exc: LibvirtFailure, tr: Translation, what: str) -> Outcome:
        outcome = outcome_for_failure(exc, what)
        if isinstance(outcome, Rejected):
            return Rejected(outcome.kind, tr.from_host(outcome.message), outcome.code)
        return outcome

    def _parse(self, fixtures: Fixtures, xml: str) -> Outcome:
        plan = parse_plan(xml, self.scratch)
        base = os.path.normpath(self.scratch) + "/"
        images = all(d.source is None or d.source.startswith(base) for d in plan.disks)
        fx = fixtures.prepare(DomainSpec(plan.disks, True, images), DomainState.SHUTOFF)
        tr = Translation(ours_uuid=fx.uuid, ours_name=fx.name)
        if plan.doc_uuid:
            tr.theirs_uuid, tr.theirs_name = plan.doc_uuid, plan.doc_name
        doc = tr.to_host(xml)
        if plan.embed:
            doc = embed_domain(doc, fx.xml)
        stub = parent_stub(doc)
        if stub is not None:
            try:
                self.backend.snapshot_create(fx.uuid, stub, ("redefine",))
            except LibvirtFailure as exc:
                return Errored(f"redefining the parent the document names failed: {exc}")
        outcome, _name, _stored = self._create_and_read(fixtures, fx, doc, ("redefine",), tr)
        if plan.embed and isinstance(outcome, Accepted):

            def strip(answer: str) -> str:
                return strip_domain(answer, xml, plan.stub)

            views = tuple(
                View(v.source, v.name, None if v.xml is None else strip(v.xml))
                for v in outcome.views
            )
            outcome = checked_xml(Accepted(strip(outcome.xml), views))
        return outcome

    # ------------------------------------------------------------------ close

    def stats(self) -> dict[str, object]:
        fx = self._fixtures
        return {
            "run": self.run_id,
            "uri": self.backend.uri,
            "cases": self.cases,
            "case_seconds": round(self.case_seconds, 3),
            "provisioned": fx.stats.provisioned if fx else 0,
            "reused": fx.stats.reused if fx else 0,
            "destroyed": fx.stats.destroyed if fx else 0,
            "retired": fx.stats.retired if fx else 0,
            "recreate_reasons": dict(fx.stats.recreate_reasons) if fx else {},
            "prepare_seconds": round(fx.stats.prepare_seconds, 3) if fx else 0.0,
            "finish_seconds": round(fx.stats.finish_seconds, 3) if fx else 0.0,
            "fixture_mode": self.options.fixture,
        }

    def close(self) -> None:
        """Remove everything this run made (idempotent; also run at exit)."""
        if self._closed:
            return
        self._closed = True
        stats_file = os.environ.get("SNAPCONFORM_HOST_STATS")
        if stats_file and self.cases:
            with open(stats_file, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(self.stats()) + "\n")
        from harness.host.cleanup import cleanup_live_run

        try:
            if self._fixtures is not None and self._run_dir is not None:
                cleanup_live_run(self.backend, self._fixtures, self._run_dir)
        finally:
            self.backend.close()
