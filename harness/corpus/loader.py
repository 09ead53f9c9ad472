"""Load a corpus folder into typed objects, validating each file against its schema."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from harness import jsonsafe
from harness.contract import Level, Operation, RejectionKind
from harness.corpus.model import (
    Case,
    Corpus,
    CorpusError,
    Expectation,
    Profile,
    Provenance,
    read_text,
)

CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def corpus_schema(root: Path, name: str) -> dict[str, Any]:
    """A schema of the corpus at ``root`` (a user's corpus may bring its own), else ours."""
    own = root / "schema" / name
    if own.is_file():
        return _load_schema(str(own))
    from harness.paths import default_corpus

    return _load_schema(str(default_corpus() / "schema" / name))


@cache
def _load_schema(path: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _json(path: Path, problems: list[str]) -> Any:
    """The file's JSON, or None with a problem listed (a file of ``null`` too)."""
    try:
        data = jsonsafe.loads(read_text(path))
        if data is None:
            problems.append(f"{path}: holds JSON null, not an object")
        return data
    except CorpusError as exc:
        problems.extend(exc.problems)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{path}: cannot read JSON: {exc}")
    return None


def _schema_problems(data: Any, schema: dict[str, Any], where: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        loc = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"{where}: {loc}: {err.message}")
    return out


def _case(path: Path, data: dict[str, Any]) -> Case:
    expectations = []
    for e in data["expect"]:
        kind = e.get("kind")
        expectations.append(
            Expectation(
                profiles=tuple(e["profiles"]),
                outcome=e["outcome"],
                provenance=tuple(Provenance(p["source"], p["detail"]) for p in e["provenance"]),
                output=e.get("output"),
                kind=None if kind is None else RejectionKind(kind),
                code=e.get("code"),
                message=e.get("message"),
                note=e.get("note"),
                breaks=tuple(e.get("breaks", ())),
            )
        )
    return Case(
        id=path.name,
        path=path,
        description=data["description"],
        level=Level(data["level"]),
        operation=Operation(data["operation"]),
        input=data["input"],
        compare_mode=data["compare"]["mode"],
        masks=tuple(data["compare"].get("mask", [])),
        tags=tuple(data["tags"]),
        expectations=tuple(expectations),
        rng=data.get("rng"),
        context_data=data.get("context"),
        rules=tuple(data.get("rules", [])),
    )


def scan(root: Path) -> tuple[Corpus, list[str]]:
    """Load what can be loaded from ``root``; return the corpus and the problems found.

    A case or profile whose metadata fails its schema is left out of the corpus and
    reported, so one bad file never hides the others.
    """
    problems: list[str] = []
    root = root.resolve()
    if not root.is_dir():
        raise CorpusError([f"{root}: no such corpus directory"])
    meta = _json(root / "corpus.json", problems) or {}
    if not isinstance(meta, dict):
        problems.append(f"{root / 'corpus.json'}: must be an object")
        meta = {}
    for key in ("name", "version", "contract"):
        if not isinstance(meta.get(key), str):
            problems.append(f"{root / 'corpus.json'}: missing string field {key!r}")

    profile_schema = corpus_schema(root, "profile.schema.json")
    profiles: dict[str, Profile] = {}
    for file in sorted((root / "profiles").glob("*.json")):
        data = _json(file, problems)
        if data is None:
            continue
        found = _schema_problems(data, profile_schema, str(file))
        if not found and data["name"] != file.stem:
            found.append(f"{file}: name {data['name']!r} differs from the file name")
        if found:
            problems.extend(found)
            continue
        profiles[data["name"]] = Profile(
            name=data["name"],
            description=data["description"],
            match=data["match"],
            provenance=frozenset(data["provenance"]),
            identity=dict(data.get("identity", {})),
        )
    if not profiles:
        problems.append(f"{root / 'profiles'}: no profile")

    renames: dict[str, str] = {}
    renames_file = root / "renames.json"
    if renames_file.exists():
        data = _json(renames_file, problems)
        if isinstance(data, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            renames = dict(data)
        elif data is not None:
            problems.append(f"{renames_file}: must map old case ids to new ones (strings)")

    case_schema = corpus_schema(root, "case.schema.json")
    cases: list[Case] = []
    cases_dir = root / "cases"
    if not cases_dir.is_dir():
        problems.append(f"{cases_dir}: missing")
    else:
        for folder in sorted(p for p in cases_dir.iterdir()):
            if not folder.is_dir():
                problems.append(f"{folder}: stray file in cases/ (each case is a folder)")
                continue
            if not CASE_ID.match(folder.name):
                problems.append(
                    f"{folder}: case id must be lower case letters, digits and '-' (at most 80)"
                )
                continue
            meta_file = folder / "case.json"
            if not meta_file.is_file():
                problems.append(f"{folder}: no case.json")
                continue
            data = _json(meta_file, problems)
            if data is None:
                continue
            found = _schema_problems(data, case_schema, f"{folder.name}/case.json")
            if found:
                problems.extend(found)
                continue
            cases.append(_case(folder, data))

    corpus = Corpus(
        root=root,
        name=str(meta.get("name", root.name)),
        version=str(meta.get("version", "unknown")),
        contract=str(meta.get("contract", "")),
        cases=tuple(cases),
        profiles=profiles,
        renames=renames,
    )
    return corpus, problems


def load_corpus(root: Path) -> Corpus:
    """Load the corpus at ``root``; :class:`CorpusError` lists every problem if any."""
    corpus, problems = scan(root)
    if problems:
        raise CorpusError(problems)
    return corpus
