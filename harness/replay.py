"""Transcripts of a run's conversation with an implementation, and replaying them offline.

``--record FILE`` wraps the run's adapter in a :class:`Recorder`: every ``identify()`` and
every request with its answer and timing is appended to ``FILE`` as one JSON line (pytest-xdist
workers append to the same file under a lock). A name ending in ``.gz`` is gzip-compressed
(one member per line, which gzip readers concatenate).

``replay:FILE`` is a connectable whose adapter answers from a transcript: the identity
recorded, and for each request the answer recorded for the same request (UUIDs aside: a
fresh domain UUID is made for each request, so UUIDs are matched as numbered placeholders and
the answer gets the new ones back). A request the transcript does not hold is an errored
case, never a guess.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness.adapters.base import AdapterError
from harness.contract import (
    SCRATCH_TOKEN,
    Adapter,
    ContractError,
    Errored,
    Identity,
    Outcome,
    Request,
    identity_from_wire,
    identity_to_wire,
    outcome_from_wire,
    outcome_to_wire,
    request_to_wire,
)
from harness.ordering import FixtureKey

FORMAT = "snapconform-transcript/1"


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _key(request: Request) -> tuple[str, list[str]]:
    """The request as canonical JSON with every UUID replaced by a numbered placeholder (in
    order of first appearance), and the UUIDs. A fresh domain UUID is made for each request,
    so requests are matched whatever their UUIDs are."""
    text = json.dumps(request_to_wire(request), sort_keys=True, ensure_ascii=False)
    uuids: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.group(0) not in uuids:
            uuids.append(match.group(0))
        return f"@UUID{uuids.index(match.group(0))}@"

    return _UUID.sub(placeholder, text), uuids


def _append(path: Path, entry: dict[str, Any]) -> None:
    line = (json.dumps(entry, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    data = gzip.compress(line) if path.suffix == ".gz" else line
    with open(path, "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(data)
            fh.flush()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_transcript(path: Path) -> Iterator[dict[str, Any]]:
    """The entries of a transcript; :class:`AdapterError` if unreadable or malformed."""
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw).decode("utf-8") if path.suffix == ".gz" else raw.decode()
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise AdapterError(f"cannot read the transcript {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AdapterError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise AdapterError(f"{path}:{number}: not a {FORMAT} entry")
        yield entry


class Recorder:
    """An adapter that passes everything to ``inner`` and keeps the conversation."""

    def __init__(self, inner: Adapter, path: Path) -> None:
        self.inner = inner
        self.path = Path(path)
        self.connectable = inner.connectable
        self.scratch = inner.scratch
        # an adapter on fixtures keeps its grouping when recorded (without it a recorded
        # host run lost the fixture order and took 134 s instead of 63 s on -n 2)
        key_of = getattr(inner, "fixture_key", None)
        if callable(key_of):
            self.fixture_key: Callable[[Request], FixtureKey] = key_of

    def identify(self) -> Identity:
        identity = self.inner.identify()
        _append(
            self.path,
            {
                "format": FORMAT,
                "type": "identity",
                "connectable": self.inner.connectable,
                "scratch": self.inner.scratch,
                "identity": identity_to_wire(identity),
                "recorded": time.time(),
            },
        )
        return identity

    def run(self, request: Request) -> Outcome:
        started = time.perf_counter()
        outcome = self.inner.run(request)
        seconds = round(time.perf_counter() - started, 6)
        key, uuids = _key(request)
        _append(
            self.path,
            {
                "format": FORMAT,
                "type": "exchange",
                "request": json.loads(key),
                "uuids": uuids,
                "outcome": outcome_to_wire(outcome),
                "seconds": seconds,
            },
        )
        return outcome

    def close(self) -> None:
        self.inner.close()


class ReplayAdapter:
    """Answers from a transcript (``replay:FILE``)."""

    def __init__(self, target: str) -> None:
        if not target:
            raise AdapterError("replay: needs a transcript file, e.g. replay:run.jsonl.gz")
        self.path = Path(target)
        self.connectable = f"replay:{target}"
        entries = list(read_transcript(self.path))
        identities = [e for e in entries if e.get("type") == "identity"]
        if not identities:
            raise AdapterError(f"{self.path}: the transcript holds no identity")
        identity = identities[0]
        try:
            self._identity = identity_from_wire(identity["identity"])
        except (KeyError, ContractError) as exc:
            raise AdapterError(f"{self.path}: the recorded identity is unusable: {exc}") from None
        self.recorded_connectable = str(identity.get("connectable"))
        self.scratch = str(identity.get("scratch") or "/var/tmp/snapconform-scratch")
        # every process of the recorded run (xdist workers) had a scratch directory of its
        # own: requests are matched with the directory as a placeholder
        self._scratches = sorted(
            {str(e["scratch"]) for e in identities if e.get("scratch")}, key=len, reverse=True
        )
        self._answers: dict[str, list[tuple[list[str], dict[str, Any]]]] = {}
        self._served: dict[str, int] = {}
        for entry in entries:
            if entry.get("type") == "exchange":
                key = self._unscratch(
                    json.dumps(entry["request"], sort_keys=True, ensure_ascii=False)
                )
                outcome = json.loads(self._unscratch(json.dumps(entry["outcome"])))
                self._answers.setdefault(key, []).append((entry.get("uuids", []), outcome))

    def _unscratch(self, text: str) -> str:
        for scratch in self._scratches:
            text = text.replace(scratch, SCRATCH_TOKEN)
        return text

    def identify(self) -> Identity:
        return self._identity

    def run(self, request: Request) -> Outcome:
        key, uuids = _key(request)
        key = key.replace(self.scratch, SCRATCH_TOKEN) if self.scratch else key
        answers = self._answers.get(key)
        if not answers:
            return Errored(f"replay: the transcript {self.path.name} holds no such request")
        index = self._served.get(key, 0)
        self._served[key] = index + 1
        recorded, wire = answers[min(index, len(answers) - 1)]
        if recorded != uuids:  # the answer speaks of the recorded UUIDs: give it the new ones
            text = json.dumps(wire)
            pairs = {old: new for old, new in zip(recorded, uuids, strict=False) if old != new}
            if pairs:
                text = _UUID.sub(lambda m: pairs.get(m.group(0), m.group(0)), text)
            wire = json.loads(text)
        wire = json.loads(json.dumps(wire).replace(SCRATCH_TOKEN, self.scratch))
        if wire.get("outcome") == "errored":
            return Errored(str(wire.get("message")))
        try:
            return outcome_from_wire(wire)
        except ContractError as exc:
            return Errored(f"replay: a recorded answer is off-contract: {exc}")

    def close(self) -> None:
        pass


__all__ = ["FORMAT", "Recorder", "ReplayAdapter", "read_transcript"]
