"""Result records of a conformance run, and the reports they end up in.

A run writes ``<directory>/results.json`` (format ``snapconform-results/1``, JSON Schema in
``harness/schemas/results.schema.json``) and, when it closes, ``<directory>/junit.xml``::

    {"format": "snapconform-results/1",
     "header": {...},                       # who ran what against what, and when
     "results": [{...}, ...],               # one record per case, in the order added
     "footer": {"complete": false, "finished": "...", "counts": {...}}}

Every write is atomic (a temporary file in the same directory, flushed and fsynced, then
``os.replace``), and the footer is always there: ``complete`` is false while the run goes on
and after an interruption, so an interrupted run leaves a valid file holding every case that
finished up to the last flush. :func:`load_results` tells a file cut short from a valid one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, get_args

import jsonschema  # type: ignore[import-untyped, unused-ignore]
from referencing import Registry, Resource

from harness import jsonsafe, junit

Status = Literal["pass", "fail", "error", "not-applicable"]
STATUSES: tuple[str, ...] = get_args(Status)

#: The ``format`` field of every results.json this module writes.
FORMAT = "snapconform-results/1"
RESULTS_NAME = "results.json"
JUNIT_NAME = "junit.xml"
SCHEMA_PATH = Path(__file__).with_name("schemas") / "results.schema.json"


class ResultsError(ValueError):
    """A results file or record is invalid, truncated or unreadable."""


# --------------------------------------------------------------------------- records


@dataclass
class CaseResult:
    """The outcome of one case. ``to_json()`` keys are the field names, so
    ``CaseResult(**record.to_json())`` rebuilds the record."""

    id: str
    level: str
    operation: str
    status: Status
    #: the expectation in wire shape, e.g. {"outcome": "accepted", "xml": ...}
    expected: dict[str, Any] | None
    #: the implementation's outcome, contract.outcome_to_wire form
    actual: dict[str, Any] | None
    diff: str | None
    message: str | None
    duration: float
    #: the known-failure status ("fail"/"error") listed for this case, if any
    known: str | None = None
    unexpected_pass: bool = False
    #: the status in each conformance class the case was judged in (``status`` is the
    #: worst of them); empty when it was judged in none (not-applicable, harness error)
    classes: dict[str, str] = field(default_factory=dict)
    #: for a failed or errored case: commands (or a script) that reproduce it by hand
    reproduction: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"case {self.id}: status {self.status!r} is not one of {STATUSES}")
        if not isinstance(self.duration, int | float) or not math.isfinite(self.duration):
            raise ValueError(f"case {self.id}: duration {self.duration!r} is not a finite number")
        if self.duration < 0:
            raise ValueError(f"case {self.id}: duration {self.duration!r} is negative")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunHeader:
    run_id: str
    harness_version: str
    corpus_version: str
    contract: str
    #: contract.identity_to_wire(identity) plus "connectable" (the string that selected it)
    implementation: dict[str, Any]
    profile: str
    #: ISO 8601, UTC
    started: str
    argv: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def utc_now() -> str:
    """The current time as ISO 8601 UTC, e.g. ``2025-11-26T18:10:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_run_id_lock = threading.Lock()
_last_run_stamp = datetime.min.replace(tzinfo=UTC)


def new_run_id() -> str:
    """A unique run id that sorts by creation time: ``20251126T181000.123456Z-3f9a1c``.

    Timestamps strictly increase within a process (a clash moves on by a microsecond); the
    random suffix keeps ids from different processes apart.
    """
    global _last_run_stamp
    with _run_id_lock:
        stamp = max(datetime.now(UTC), _last_run_stamp + timedelta(microseconds=1))
        _last_run_stamp = stamp
    return f"{stamp:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


# --------------------------------------------------------------------------- schema


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema of results.json (draft 2020-12)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _validator(definition: str | None = None) -> Any:
    """A validator for the whole document, or for one of its ``$defs``."""
    schema = load_schema()
    if definition is None:
        return jsonschema.Draft202012Validator(schema)
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema)
    )
    return jsonschema.Draft202012Validator(
        {"$ref": f"{schema['$id']}#/$defs/{definition}"}, registry=registry
    )


def _schema_problems(instance: object, definition: str | None = None, limit: int = 5) -> list[str]:
    errors = sorted(
        _validator(definition).iter_errors(instance), key=lambda e: list(map(str, e.path))
    )
    problems = []
    for error in errors[:limit]:
        where = "/" + "/".join(str(p) for p in error.path)
        problems.append(f"{where}: {_shorten(error.message)}")
    if len(errors) > limit:
        problems.append(f"... and {len(errors) - limit} more")
    return problems


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dumps(document: object) -> bytes:
    """JSON text as UTF-8. Lone surrogates (undecodable bytes smuggled into a str) come out
    as ``\\udcXX`` escapes, which JSON reads back as the same str."""
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return text.encode("utf-8", "backslashreplace")


def is_expected_failure(record: Mapping[str, Any]) -> bool:
    """A case that failed or errored while the known-failures file lists it: it does not
    fail the run (``--strict-expectations`` also wants the listed status)."""
    return record["status"] in ("fail", "error") and record.get("known") is not None


def counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The footer counts of ``records`` (``results`` entries of a document). ``fail`` and
    ``error`` count every such status; ``expected-failure`` says how many of them the
    known-failures file listed."""
    tally = dict.fromkeys(STATUSES, 0)
    total = unexpected = expected = 0
    for record in records:
        tally[record["status"]] += 1
        total += 1
        unexpected += bool(record.get("unexpected_pass"))
        expected += is_expected_failure(record)
    return {**tally, "total": total, "unexpected-pass": unexpected, "expected-failure": expected}


def summary_counts(records: Iterable[Mapping[str, Any]]) -> str:
    """``31 pass, 11 expected failures, 0 fail, 0 error, 733 not-applicable``: here ``fail``
    and ``error`` are the ones that fail the run; the expected ones are named as such."""
    records = list(records)
    tally = counts(records)
    expected = [r for r in records if is_expected_failure(r)]
    parts = [f"{tally['pass']} pass"]
    if expected:
        parts.append(f"{len(expected)} expected failure" + ("s" if len(expected) > 1 else ""))
    for status in ("fail", "error"):
        parts.append(f"{tally[status] - sum(r['status'] == status for r in expected)} {status}")
    parts.append(f"{tally['not-applicable']} not-applicable")
    return ", ".join(parts)


def class_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per conformance class, how many records had each status in it."""
    out: dict[str, dict[str, int]] = {}
    for record in records:
        for cls, status in (record.get("classes") or {}).items():
            tally = out.setdefault(cls, dict.fromkeys(STATUSES, 0))
            tally[status] += 1
    return {cls: {**tally, "total": sum(tally.values())} for cls, tally in sorted(out.items())}


# --------------------------------------------------------------------------- writing


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically: temporary file in the same directory,
    flush + fsync, ``os.replace``. The temporary file never outlives a failure."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), 0o644)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable, where possible
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class ResultsWriter:
    """Collects case records and keeps ``results.json`` up to date, atomically.

    Usable as a context manager: leaving the block closes the writer, ``complete`` being
    whether the block ended without an exception.
    """

    def __init__(self, directory: Path, header: RunHeader, *, flush_interval: float = 1.0) -> None:
        if not math.isfinite(flush_interval) or flush_interval < 0:
            raise ValueError(f"flush_interval must be a finite number >= 0, not {flush_interval}")
        self.directory = Path(directory)
        self.path = self.directory / RESULTS_NAME
        self.junit_path = self.directory / JUNIT_NAME
        self.header = header
        self._header = header.to_json()
        problems = _schema_problems(self._header, "header")
        if problems:
            raise ResultsError("invalid run header: " + "; ".join(problems))
        self._flush_interval = flush_interval
        self._records: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._closed = False
        self._last_write = -math.inf
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write(complete=False)  # a valid (empty) report from the very start

    @property
    def closed(self) -> bool:
        return self._closed

    def records(self) -> list[dict[str, Any]]:
        """Copies of the records added so far (JSON form), in order."""
        with self._lock:
            return [dict(r) for r in self._records]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return counts(self._records)

    def add(self, result: CaseResult) -> None:
        """Keep ``result``; rewrite results.json if ``flush_interval`` has passed.

        :raises ResultsError: the record would make results.json invalid (checked now, not
            at the next write).
        :raises RuntimeError: the writer is closed.
        """
        record = result.to_json()
        problems = _schema_problems(record, "result")
        if problems:
            raise ResultsError(f"invalid record for case {result.id!r}: " + "; ".join(problems))
        try:
            _dumps(record)
        except (TypeError, ValueError) as exc:
            raise ResultsError(f"record for case {result.id!r} is not JSON: {exc}") from None
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.path}: the writer is closed")
            self._records.append(record)
            if time.monotonic() - self._last_write >= self._flush_interval:
                self._write(complete=False)

    def flush(self) -> None:
        """Rewrite results.json now (``complete: false``)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.path}: the writer is closed")
            self._write(complete=False)

    def close(self, *, complete: bool) -> Path:
        """Write the final results.json (footer ``complete`` as given) and junit.xml.

        Closing again does nothing and returns the same path.
        """
        with self._lock:
            if self._closed:
                return self.path
            document = self._write(complete=complete)
            atomic_write(self.junit_path, junit.render_junit(document))
            self._closed = True
            return self.path

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(complete=exc_type is None)

    def _document(self, *, complete: bool) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "header": self._header,
            "results": self._records,
            "footer": {
                "complete": complete,
                "finished": utc_now(),
                "counts": counts(self._records),
                "classes": class_counts(self._records),
            },
        }

    def _write(self, *, complete: bool) -> dict[str, Any]:
        document = self._document(complete=complete)
        atomic_write(self.path, _dumps(document))
        self._last_write = time.monotonic()
        return document


# --------------------------------------------------------------------------- reading


def _truncated_json(text: str, exc: json.JSONDecodeError) -> bool:
    stripped = text.rstrip()
    return (
        exc.pos >= len(stripped)
        or exc.msg.startswith("Unterminated string")
        or not stripped.endswith("}")
    )


def load_results(path: Path) -> dict[str, Any]:
    """Read and validate a results.json.

    :raises ResultsError: unreadable, truncated (not valid JSON, or no footer: the message
        says which), of another format, invalid against the schema, or with footer counts
        that disagree with its records.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ResultsError(f"{path}: truncated: the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            raise ResultsError(
                f"{path}: truncated: not valid JSON (cut short inside a UTF-8 character at"
                f" byte {exc.start} of {len(data)})"
            ) from None
        raise ResultsError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    try:
        document = jsonsafe.loads(text)
    except json.JSONDecodeError as exc:
        if _truncated_json(text, exc):
            raise ResultsError(
                f"{path}: truncated: not valid JSON, the text stops inside an unfinished value"
                f" ({exc.msg} at line {exc.lineno}, column {exc.colno}; {len(data)} bytes)"
            ) from None
        raise ResultsError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(document, dict):
        raise ResultsError(
            f"{path}: not a results document (top level is {type(document).__name__})"
        )
    if document.get("format") != FORMAT:
        raise ResultsError(f"{path}: format is {document.get('format')!r}, expected {FORMAT!r}")
    if "footer" not in document:
        raise ResultsError(
            f"{path}: truncated: valid JSON but no footer (cut short, or not written by"
            " snapconform's ResultsWriter)"
        )
    problems = _schema_problems(document)
    if problems:
        raise ResultsError(f"{path}: does not match the results schema: " + "; ".join(problems))
    expected_counts = counts(document["results"])
    if document["footer"]["counts"] != expected_counts:
        raise ResultsError(
            f"{path}: footer counts {document['footer']['counts']} disagree with the"
            f" {len(document['results'])} records ({expected_counts})"
        )
    return document


__all__ = [
    "FORMAT",
    "JUNIT_NAME",
    "RESULTS_NAME",
    "STATUSES",
    "CaseResult",
    "ResultsError",
    "ResultsWriter",
    "RunHeader",
    "Status",
    "atomic_write",
    "class_counts",
    "counts",
    "load_results",
    "load_schema",
    "new_run_id",
    "utc_now",
]
