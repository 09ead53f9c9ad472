"""Typed view of corpus data: cases, expectations, profiles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from harness.contract import (
    UUID_TOKEN,
    Context,
    DiskSpec,
    DomainState,
    Flag,
    Level,
    Operation,
    RejectionKind,
)

CompareMode = Literal["exact", "semantic"]
MatchLevel = Literal["kind", "code", "message"]

#: Largest corpus file the loader reads.
MAX_CORPUS_FILE_BYTES = 1024 * 1024


class CorpusError(Exception):
    """The corpus cannot be loaded; ``problems`` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Provenance:
    source: str
    detail: str


@dataclass(frozen=True)
class Expectation:
    profiles: tuple[str, ...]
    outcome: Literal["accepted", "rejected"]
    provenance: tuple[Provenance, ...]
    output: str | None = None
    kind: RejectionKind | None = None
    code: str | None = None
    message: str | None = None
    note: str | None = None
    #: stated rules (corpus/rules.json) this answer contradicts, as recorded (harness/breaks.py)
    breaks: tuple[str, ...] = ()

    def sources(self) -> frozenset[str]:
        return frozenset(p.source for p in self.provenance)


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    match: MatchLevel
    provenance: frozenset[str]
    identity: Mapping[str, str] = field(default_factory=dict)


def read_text(path: Path) -> str:
    """Read a corpus file as UTF-8, refusing oversized files."""
    size = path.stat().st_size
    if size > MAX_CORPUS_FILE_BYTES:
        raise CorpusError([f"{path}: {size} bytes, larger than {MAX_CORPUS_FILE_BYTES}"])
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError([f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})"]) from None


#: Values for the corpus's placeholders (``@SCRATCH@``, ``@UUID@``) in one request.
Tokens = Mapping[str, str]


def substitute(text: str, tokens: Tokens) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


@dataclass(frozen=True)
class Case:
    id: str
    path: Path
    description: str
    level: Level
    operation: Operation
    input: str
    compare_mode: CompareMode
    masks: tuple[str, ...]
    tags: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    rng: str | None = None
    context_data: Mapping[str, Any] | None = None
    #: ids of catalogue rules (corpus/rules.json) the case says it exercises
    rules: tuple[str, ...] = ()

    def expectation_for(self, profile: str) -> Expectation | None:
        for exp in self.expectations:
            if profile in exp.profiles:
                return exp
        return None

    def profiles(self) -> frozenset[str]:
        return frozenset(p for e in self.expectations for p in e.profiles)

    def read(self, name: str, tokens: Tokens | None = None) -> str:
        text = read_text(self.path / name)
        return text if tokens is None else substitute(text, tokens)

    def input_xml(self, tokens: Tokens | None = None) -> str:
        return self.read(self.input, tokens)

    def files(self) -> frozenset[str]:
        """Every file of the case folder the metadata refers to."""
        names = {"case.json", self.input}
        names.update(e.output for e in self.expectations if e.output)
        if self.context_data:
            names.update(self.context_data.get("existing", []))
        return frozenset(names)

    def context(self, tokens: Tokens) -> Context | None:
        """The request context, with the placeholders replaced by ``tokens``."""
        data = self.context_data
        if data is None:
            return None
        disks = []
        for d in data["disks"]:
            source = d.get("source")
            disks.append(
                DiskSpec(
                    target=d["target"],
                    source=None if source is None else substitute(source, tokens),
                    format=d.get("format", "qcow2"),
                    device=d.get("device", "disk"),
                    bus=d.get("bus", "virtio"),
                    type=d.get("type", "file"),
                    readonly=d.get("readonly", False),
                    snapshot=d.get("snapshot"),
                )
            )
        return Context(
            state=DomainState(data["state"]),
            flags=frozenset(Flag(f) for f in data.get("flags", [])),
            disks=tuple(disks),
            existing=tuple(self.read(name, tokens) for name in data.get("existing", [])),
            persistent=data.get("persistent", True),
            uuid=tokens.get(UUID_TOKEN),
        )


@dataclass(frozen=True)
class Corpus:
    root: Path
    name: str
    version: str
    contract: str
    cases: tuple[Case, ...]
    profiles: Mapping[str, Profile]
    renames: Mapping[str, str]

    def case(self, case_id: str) -> Case:
        for c in self.cases:
            if c.id == case_id:
                return c
        raise KeyError(case_id)
