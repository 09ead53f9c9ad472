#!/usr/bin/env python3
"""The physical floor of a host run: the libvirt operations its cases need, replayed bare.

    python bench/floor.py TRACE --uri qemu:///system

``TRACE`` is what a finished run wrote with ``SNAPCONFORM_HOST_TRACE=TRACE`` (virsh adapter,
one worker). The floor keeps, in the run's order, only what the cases need: every image made
(``qemu-img create``), every domain defined, created, started, suspended, resumed, destroyed
or undefined, every snapshot created or deleted, and the one read of each snapshot made
(its ``snapshot-dumpxml``). Teardowns the run did in background threads are replayed in
background sessions too, handed over at the same point of the sequence. Everything else the
harness did (fixture checks, the other views of a snapshot, listings, image inspection, its
own Python) is what the floor leaves out, so ``harness wall / floor`` is the harness's
overhead over the bare operations.

The replay re-creates the run's own domains (same names and UUIDs, prefix ``snapconform-``)
and image paths after the run removed them; it refuses if any of them exists, and removes
them again at the end, on failure and on Ctrl-C. Each replayed command must succeed or fail
as it did in the run; a difference is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.host.virsh_session import VirshSession, quote
from harness.xmlsafe import XmlError, parse_xml

#: virsh commands that change the host: a case or a fixture needs each one it made
FLOOR_VERBS = {
    "define",
    "create",
    "start",
    "suspend",
    "resume",
    "destroy",
    "undefine",
    "snapshot-create",
    "snapshot-create-as",
    "snapshot-delete",
}
BACKGROUND = "snapconform-retire"
CREATED = re.compile(r"^Domain snapshot (\S+) created", re.MULTILINE)
OWN_PREFIX = "snapconform-"


@dataclass
class Plan:
    main: list[dict[str, Any]] = field(default_factory=list)
    #: (index in main before which it is handed over, entry)
    background: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: int = 0
    skipped_seconds: float = 0.0
    kept_seconds: float = 0.0
    #: the run's own domains (uuid -> name) and the directories its images were in
    domains: dict[str, str] = field(default_factory=dict)
    image_dirs: set[str] = field(default_factory=set)


def load(path: Path) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    pids = {e["pid"] for e in entries}
    if len(pids) > 1:
        sys.exit(f"{path}: a trace of {len(pids)} processes; the floor needs a one-worker run")
    return sorted(entries, key=lambda e: float(e["start"]))


def needed(entry: dict[str, Any], awaiting_read: set[str]) -> bool:
    words = entry["words"]
    if entry["kind"] == "unlink":
        return True  # a reset removes the old images before it makes new ones
    if entry["kind"] == "exec":
        return bool(words[:2] == ["qemu-img", "create"])
    verb = words[0]
    if verb in ("snapshot-create", "snapshot-create-as"):
        awaiting_read.add(words[1])
        return True
    if verb == "snapshot-dumpxml" and words[1] in awaiting_read:
        awaiting_read.discard(words[1])
        return True
    return verb in FLOOR_VERBS


def plan(entries: list[dict[str, Any]]) -> Plan:
    out = Plan()
    awaiting_read: set[str] = set()
    for e in entries:
        if not needed(e, awaiting_read):
            out.skipped += 1
            out.skipped_seconds += float(e["seconds"])
            continue
        out.kept_seconds += float(e["seconds"])
        if str(e["thread"]).startswith(BACKGROUND):
            out.background.append((len(out.main), e))
        else:
            out.main.append(e)
        for text in e.get("files", {}).values():
            try:
                root = parse_xml(text, what="trace file")
            except XmlError:
                continue
            if root.tag == "domain":
                name, uuid = root.findtext("name"), root.findtext("uuid")
                if name and uuid:
                    out.domains[uuid] = name
        if e["kind"] == "exec":
            out.image_dirs.add(os.path.dirname(e["words"][-2]))
    bad = sorted(n for n in out.domains.values() if not n.startswith(OWN_PREFIX))
    if bad:
        sys.exit(f"the trace defines domains that are not the harness's own: {', '.join(bad)}")
    return out


class Replayer:
    def __init__(self, uri: str, files_dir: Path) -> None:
        self.uri = uri
        self.files_dir = files_dir
        self.mismatches: list[str] = []
        self._lock = threading.Lock()
        self._written: dict[str, str] = {}
        #: domain -> the run's generated snapshot names -> the replay's
        self._names: dict[str, dict[str, str]] = {}

    def _line(self, entry: dict[str, Any]) -> str:
        words = list(entry["words"])
        for original, text in entry.get("files", {}).items():
            if original not in self._written:
                copy = self.files_dir / f"f{len(self._written)}.xml"
                copy.write_text(text, encoding="utf-8")
                self._written[original] = str(copy)
            words = [self._written[original] if w == original else w for w in words]
        return " ".join(quote(w) for w in words)

    def _renamed(self, words: list[str]) -> list[str]:
        """A command on a snapshot whose name libvirt generated gets the replay's name."""
        if len(words) >= 3 and words[0].startswith("snapshot-"):
            names = self._names.get(words[1], {})
            return [names.get(w, w) if i >= 2 else w for i, w in enumerate(words)]
        return words

    def execute(self, session: VirshSession, entry: dict[str, Any]) -> None:
        words = list(entry["words"])
        if entry["kind"] == "unlink":
            for path in words:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                elif os.path.lexists(path):
                    os.unlink(path)
            return
        if entry["kind"] == "exec":
            Path(words[-2]).parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(words, capture_output=True, check=False)
            failed = done.returncode != 0
        else:
            reply = session.run(self._line(dict(entry, words=self._renamed(words))))
            failed = reply.error is not None
            recorded = CREATED.search(str(entry.get("out", "")))
            made = CREATED.search(reply.out)
            if recorded and made:
                with self._lock:
                    self._names.setdefault(words[1], {})[recorded[1]] = made[1]
        if failed != bool(entry["failed"]):
            with self._lock:
                self.mismatches.append(
                    f"{' '.join(entry['words'][:3])}: {'failed' if failed else 'succeeded'} "
                    f"in the replay, {'failed' if entry['failed'] else 'succeeded'} in the run"
                )


def replay(p: Plan, uri: str) -> tuple[float, list[str]]:
    """Seconds the floor took, and the commands whose success differed from the run's."""
    with tempfile.TemporaryDirectory(prefix="snapconform-floor-") as tmp:
        replayer = Replayer(uri, Path(tmp))
        queues: dict[str, queue.Queue[dict[str, Any] | None]] = {}
        threads: list[threading.Thread] = []

        def worker(q: queue.Queue[dict[str, Any] | None]) -> None:
            session = VirshSession(uri)
            try:
                while (entry := q.get()) is not None:
                    replayer.execute(session, entry)
            finally:
                session.close()

        def hand_over(entry: dict[str, Any]) -> None:
            name = str(entry["thread"])
            if name not in queues:
                queues[name] = queue.Queue()
                threads.append(threading.Thread(target=worker, args=(queues[name],), daemon=True))
                threads[-1].start()
            queues[name].put(entry)

        session = VirshSession(uri)
        session.start()  # the harness's shell is open before its run too
        pending = list(p.background)
        started = time.monotonic()
        try:
            for i, entry in enumerate(p.main):
                while pending and pending[0][0] <= i:
                    hand_over(pending.pop(0)[1])
                replayer.execute(session, entry)
            for _, entry in pending:
                hand_over(entry)
            for q in queues.values():
                q.put(None)
            for thread in threads:
                thread.join()
            return time.monotonic() - started, replayer.mismatches
        finally:
            session.close()


def run_dirs(p: Plan) -> set[str]:
    """The run directories the images were made in (``<scratch root>/<run>/scratch/...``)."""
    dirs = set()
    for d in p.image_dirs:
        if os.path.basename(d) != "scratch":
            sys.exit(f"image directory {d} is not a run's scratch directory")
        dirs.add(os.path.dirname(d))
    return dirs


def refuse_if_present(p: Plan, uri: str) -> None:
    session = VirshSession(uri)
    try:
        present = [
            f"domain {name} ({uuid})"
            for uuid, name in sorted(p.domains.items())
            if session.run(f"domname {quote(uuid)}").error is None
        ]
    finally:
        session.close()
    present += [f"directory {d}" for d in sorted(run_dirs(p)) if os.path.exists(d)]
    if present:
        sys.exit(
            "the run's objects still exist, so the replay would touch them: " + "; ".join(present)
        )


def clean(p: Plan, uri: str) -> list[str]:
    """Remove what the replay made: the run's domains and image directories. What is left."""
    left: list[str] = []
    session = VirshSession(uri)
    try:
        for uuid, name in sorted(p.domains.items()):
            if session.run(f"domname {quote(uuid)}").error is not None:
                continue
            state = session.run(f"domstate {quote(uuid)}").out.strip()
            if state not in ("shut off", ""):
                session.run(f"destroy {quote(uuid)}")
            if session.run(f"domname {quote(uuid)}").error is None:
                session.run(f"undefine {quote(uuid)} --snapshots-metadata")
            if session.run(f"domname {quote(uuid)}").error is None:
                left.append(f"domain {name} ({uuid})")
    finally:
        session.close()
    for run_dir in sorted(run_dirs(p)):  # absent before the replay (refuse_if_present)
        shutil.rmtree(run_dir, ignore_errors=True)
        if os.path.exists(run_dir):
            left.append(f"directory {run_dir}")
    return left


def floor(trace_path: Path, uri: str) -> dict[str, Any]:
    entries = load(trace_path)
    p = plan(entries)
    refuse_if_present(p, uri)
    try:
        seconds, mismatches = replay(p, uri)
    finally:
        left = clean(p, uri)
    return {
        "seconds": seconds,
        "operations": len(p.main) + len(p.background),
        "background": len(p.background),
        "skipped": p.skipped,
        "skipped_seconds": p.skipped_seconds,
        "kept_seconds": p.kept_seconds,
        "mismatches": mismatches,
        "left": left,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", type=Path)
    parser.add_argument("--uri", required=True)
    args = parser.parse_args()
    r = floor(args.trace, args.uri)
    print(json.dumps(r, indent=2))
    return 1 if r["mismatches"] or r["left"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
