"""An opt-in trace of every host operation a run performs, for the physical-floor benchmark.

With ``SNAPCONFORM_HOST_TRACE=FILE`` set, each virsh command line and each ``qemu-img`` call
the harness makes is appended to ``FILE`` as one JSON line: wall-clock start, duration, the
thread that made it, whether it failed, and the content of every XML file the command names
(run files are deleted with the run, and a replay needs them). ``bench/floor.py`` replays
the operations a case needs and compares that time with the harness's. Unset, nothing is
done and nothing is read.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

ENV = "SNAPCONFORM_HOST_TRACE"
_LOCK = threading.Lock()
#: XML files larger than this are not embedded (run files are a few kilobytes)
_MAX_FILE = 1 << 20


def enabled() -> str | None:
    return os.environ.get(ENV) or None


def _files(words: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for word in words:
        if not word.endswith(".xml") or not word.startswith("/"):
            continue
        path = Path(word)
        try:
            if path.is_file() and path.stat().st_size <= _MAX_FILE:
                found[word] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return found


def record(
    kind: str, words: list[str], start: float, seconds: float, failed: bool, out: str = ""
) -> None:
    """Append one operation to the trace, if one is on: ``kind`` ``virsh`` (a command line),
    ``exec`` (a program run) or ``unlink`` (files removed); ``out`` is the start of what it
    printed (a snapshot's generated name, for the replay)."""
    target = enabled()
    if target is None:
        return
    entry: dict[str, Any] = {
        "kind": kind,
        "words": words,
        "start": start,
        "seconds": seconds,
        "failed": failed,
        "thread": threading.current_thread().name,
        "pid": os.getpid(),
    }
    if out:
        entry["out"] = out[:500]
    files = _files(words)
    if files:
        entry["files"] = files
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _LOCK, open(target, "a", encoding="utf-8") as fh:
        fh.write(line)


def virsh_words(command: str) -> list[str]:
    """A virsh command line as words (virsh's parser quotes like a shell)."""
    try:
        return shlex.split(command)
    except ValueError:
        return [command]


def run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` of a host program (output captured, never checked), recorded in
    the trace as kind ``exec`` when one is on; a program that cannot run is recorded failed."""
    began = time.time()
    failed = True
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        failed = done.returncode != 0
        return done
    finally:
        record("exec", cmd, began, time.time() - began, failed)
