"""A run's directory, its lock and its journal.

Every run that touches a host owns one directory ``<root>/<run-id>/``:

* ``lock`` - held (``flock``) by the live process for the whole run: a directory whose lock
  nobody holds belongs to a run that is over, normally or by ``kill -9``;
* ``journal.jsonl`` - one JSON object per line, appended and ``fsync``-ed *before* each
  object is created (``create``) and after it is gone (``removed``);
* ``scratch/`` - what ``@SCRATCH@`` stands for: disk images, overlays, memory files.

The directory appears atomically (made under a dot-name, locked, then renamed), so another
process never sees a run directory whose lock is not yet held.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Every object a run creates on a host carries this name prefix, followed by the run id.
NAME_PREFIX = "snapconform-"
#: Run ids: "r" and 8 hex digits (so colleagues' "snapconform-sem-*" never look like ours).
RUN_ID = re.compile(r"^r[0-9a-f]{8}$")
#: Domain names made by a run: snapconform-<run-id>-<what>
OWNED_NAME = re.compile(r"^snapconform-(r[0-9a-f]{8})-[a-z0-9-]+$")
#: The storage pool a run makes on a remote host: snapconform-<run-id>-scratch
OWNED_POOL = re.compile(r"^snapconform-(r[0-9a-f]{8})-scratch$")

JOURNAL = "journal.jsonl"
LOCK = "lock"
SCRATCH = "scratch"


def new_run_id() -> str:
    return "r" + secrets.token_hex(4)


def run_prefix(run_id: str) -> str:
    return f"{NAME_PREFIX}{run_id}-"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Journal:
    path: Path

    def append(self, event: str, **fields: Any) -> None:
        record = {"event": event, "time": round(time.time(), 3), **fields}
        line = json.dumps(record, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> list[dict[str, Any]]:
        """Every complete record; a torn last line (a kill mid-write) is ignored."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out

    def header(self) -> dict[str, Any]:
        for record in self.records():
            if record.get("event") == "run":
                return record
        return {}

    def live_domains(self) -> list[dict[str, Any]]:
        """Domains journaled as created and not journaled as removed, newest first."""
        return self.live("domain")

    def live_pools(self) -> list[dict[str, Any]]:
        """Storage pools journaled as created and not journaled as removed, newest first."""
        return self.live("pool")

    def live(self, kind: str) -> list[dict[str, Any]]:
        created: dict[str, dict[str, Any]] = {}
        for record in self.records():
            if record.get("kind") != kind:
                continue
            uuid = str(record.get("uuid"))
            if record.get("event") == "create":
                created[uuid] = record
            elif record.get("event") == "removed":
                created.pop(uuid, None)
        return list(reversed(created.values()))


@dataclass
class RunDir:
    """The directory of one run (live: locked by this process, or found: maybe dead)."""

    root: Path
    run_id: str
    _lock_fd: int | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.root / self.run_id

    @property
    def scratch(self) -> Path:
        return self.path / SCRATCH

    @property
    def journal(self) -> Journal:
        return Journal(self.path / JOURNAL)

    @property
    def prefix(self) -> str:
        return run_prefix(self.run_id)

    @classmethod
    def create(cls, root: Path, run_id: str, **header: Any) -> RunDir:
        """Make, lock and journal a new run directory (atomically visible)."""
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".{run_id}.new"
        tmp.mkdir()
        (tmp / SCRATCH).mkdir()
        fd = os.open(tmp / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        Journal(tmp / JOURNAL).append("run", run=run_id, pid=os.getpid(), **header)
        os.rename(tmp, root / run_id)
        _fsync_dir(root)
        return cls(root, run_id, fd)

    def is_live(self) -> bool:
        """True while some process (this one included) holds the run's lock."""
        if self._lock_fd is not None:
            return True
        return lock_held(self.path / LOCK)

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def remove(self) -> None:
        """Delete the whole directory (scratch files, journal, lock). It is first renamed to
        a dot-name (``.<run>.gone``) and its lock goes last: another process scanning the
        root never sees, half deleted, a run directory whose lock is already gone (which it
        would rightly report as left behind by a dead run)."""
        gone = self.root / f".{self.run_id}.gone"
        try:
            os.rename(self.path, gone)
        except OSError:
            gone = self.path  # already gone, or a foreign layout: delete it where it is
        if gone.is_dir():
            for child in gone.iterdir():
                if child.name == LOCK:
                    continue
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        (gone / LOCK).unlink(missing_ok=True)
        shutil.rmtree(gone, ignore_errors=True)
        self.release()


def lock_held(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def runs_under(root: Path) -> Iterator[RunDir]:
    """Every run directory under ``root`` (live or not), oldest name order."""
    if not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and RUN_ID.match(entry.name):
            yield RunDir(root, entry.name)


def stale_partials(root: Path) -> list[Path]:
    """Half-made run directories (``.<run>.new``) whose maker is gone, and half-deleted ones
    (``.<run>.gone``) whose remover died before it reached the lock."""
    if not root.is_dir():
        return []
    return [
        p
        for p in root.iterdir()
        if p.name.startswith(".r")
        and (
            (p.name.endswith(".new") and not lock_held(p / LOCK))
            or (p.name.endswith(".gone") and (p / LOCK).exists() and not lock_held(p / LOCK))
        )
    ]
