"""Removing what runs made: at the end of a run, and after a killed run.

Order: domains first (destroyed, then undefined with their snapshot metadata; newest
first), then on a remote host the run's storage pool (its volumes deleted, the pool
destroyed, its directory deleted, the pool undefined), then the run directory (disk images,
overlays, memory files, journal, lock). Every destructive step on a domain or a pool first
checks that its UUID still names the journaled object.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.host.backend import Backend
from harness.host.domains import Fixtures
from harness.host.errors import BackendDown, LibvirtFailure
from harness.host.journal import OWNED_POOL, RunDir, runs_under, stale_partials
from harness.host.safety import (
    SafetyError,
    is_private_uri,
    owned_run,
    run_is_live,
    verify_owned,
)
from harness.host.storage import remove_pool


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM off while cleaning up (delivered afterwards)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def hold(signum: int, _frame: Any) -> None:
        caught.append(signum)

    for s in old:
        signal.signal(s, hold)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


def remove_domain(backend: Backend, name: str, uuid: str) -> bool:
    """Destroy and undefine our domain ``name``/``uuid``; False if it is already gone."""
    if backend.domain_name(uuid) is None:
        return False
    verify_owned(backend, uuid, name)
    if backend.domain_state(uuid) != "shutoff":
        backend.destroy(uuid)
    if backend.domain_name(uuid) is not None:  # a transient domain is gone once destroyed
        backend.undefine(uuid)
    return True


def cleanup_live_run(backend: Backend, fixtures: Fixtures, run: RunDir) -> None:
    """End of a run (success, failure, Ctrl-C, SIGTERM): remove everything it made."""
    with signals_deferred():
        problems: list[str] = []
        try:
            fixtures.teardown()
        except (LibvirtFailure, BackendDown, SafetyError) as exc:
            problems.append(str(exc))
        # what a background teardown could not remove is still journaled: the replay below
        # retries it, and only what that cannot remove is a problem
        fixtures.drain()
        if not backend.ephemeral:
            for record in run.journal.live_domains():
                try:
                    remove_domain(backend, str(record["name"]), str(record["uuid"]))
                    run.journal.append("removed", kind="domain", **_ids(record))
                except (LibvirtFailure, BackendDown, SafetyError) as exc:
                    problems.append(f"{record.get('name')}: {exc}")
        try:
            fixtures.storage.teardown()
        except (LibvirtFailure, BackendDown, SafetyError) as exc:
            problems.append(f"storage pool: {exc}")
        if problems:
            run.journal.append("cleanup-incomplete", problems=problems)
            run.release()  # leave the journal for `snapconform cleanup`
            return
        run.remove()


def _ids(record: dict[str, Any]) -> dict[str, str]:
    return {"name": str(record.get("name")), "uuid": str(record.get("uuid"))}


@dataclass
class CleanupReport:
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def cleanup_dead_runs(
    backend: Backend | None, uri: str, root: Path, *, dry_run: bool = False
) -> CleanupReport:
    """Remove what runs that are over left behind: from their journals, then (on a daemon
    host) any domain whose name and metadata name a run that is over."""
    report = CleanupReport()
    seen: set[str] = set()
    for run in runs_under(root):
        if run.is_live():
            report.skipped.append(f"run {run.run_id} is still running")
            continue
        header = run.journal.header()
        run_uri = str(header.get("uri", ""))
        domains = run.journal.live_domains()
        pools = run.journal.live_pools()
        needs_host = (domains or pools) and not is_private_uri(run_uri)
        if needs_host and run_uri != uri:
            report.skipped.append(
                f"run {run.run_id} made domains on {run_uri}: "
                f"run snapconform cleanup --uri {run_uri}"
            )
            continue
        if needs_host and backend is not None:
            failed = False
            objects = (
                ("domain", "domain", domains, remove_domain),
                ("pool", "storage pool", pools, remove_pool),
            )
            for kind, label, records, remove in objects:
                for record in records:
                    what = f"{label} {record.get('name')} ({record.get('uuid')})"
                    seen.add(str(record.get("uuid")))
                    try:
                        if dry_run:
                            report.removed.append(f"would remove {what}")
                            continue
                        if remove(backend, str(record["name"]), str(record["uuid"])):
                            report.removed.append(what)
                        run.journal.append("removed", kind=kind, **_ids(record))
                    except (LibvirtFailure, BackendDown, SafetyError) as exc:
                        failed = True
                        report.problems.append(f"{what}: {exc}")
            if failed:
                continue
        report.removed.append(("would remove " if dry_run else "") + f"directory {run.path}")
        if not dry_run:
            run.remove()
    for partial in stale_partials(root):
        report.removed.append(("would remove " if dry_run else "") + f"directory {partial}")
        if not dry_run:
            shutil.rmtree(partial, ignore_errors=True)
    if backend is not None and not is_private_uri(uri):
        for ref in backend.list_domains():
            if ref.uuid in seen:  # a dry run named it from its journal already
                continue
            owner = owned_run(backend, ref.name, ref.uuid)
            if owner is None or run_is_live(*owner):
                continue
            what = f"domain {ref.name} ({ref.uuid}) of run {owner[0]}"
            if dry_run:
                report.removed.append(f"would remove {what}")
                continue
            try:
                remove_domain(backend, ref.name, ref.uuid)
                report.removed.append(what)
            except (LibvirtFailure, BackendDown, SafetyError) as exc:
                report.problems.append(f"{what}: {exc}")
                continue
            other = RunDir(owner[1], owner[0])
            if other.path.is_dir() and not other.is_live():
                report.removed.append(f"directory {other.path}")
                other.remove()
    if backend is not None:
        _sweep_pools(backend, root, seen, report, dry_run)
    return report


def _sweep_pools(
    backend: Backend, root: Path, seen: set[str], report: CleanupReport, dry_run: bool
) -> None:
    """Pools named like a run's that no journal under ``root`` named. A pool carries no
    metadata saying which scratch root its run kept its lock in, so one whose run has no
    directory under ``root`` may belong to a run still going elsewhere: it is named, never
    removed. One whose run directory is here and over is removed (a torn journal)."""
    try:
        pools = backend.list_pools()
    except (LibvirtFailure, BackendDown):
        return  # no storage API: no pool of ours either
    for ref in pools:
        match = OWNED_POOL.match(ref.name)
        if match is None or ref.uuid in seen:
            continue
        run = RunDir(root, match.group(1))
        what = f"storage pool {ref.name} ({ref.uuid})"
        if run.is_live():
            continue
        if not run.path.is_dir():
            report.skipped.append(
                f"{what}: run {run.run_id} has no directory under {root}; if it is over, "
                f"run snapconform cleanup --scratch-root ROOT with the root it ran with, "
                f"or virsh pool-destroy, pool-delete and pool-undefine it"
            )
            continue
        if dry_run:
            report.removed.append(f"would remove {what}")
            continue
        try:
            remove_pool(backend, ref.name, ref.uuid)
            report.removed.append(what)
        except (LibvirtFailure, BackendDown, SafetyError) as exc:
            report.problems.append(f"{what}: {exc}")
