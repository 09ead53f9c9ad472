"""The third-party implementations under implementations/: each folder is complete, its
known-failures file is well-formed and names, for every entry, the library's source
(file and function) that is at fault, and its adapter claims what its manifest says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.classes import case_classes
from harness.contract import ConformanceClass, identity_from_wire
from harness.corpus.loader import load_corpus
from harness.expectations import load_expectations, read_expectations
from harness.paths import default_corpus
from implementations.manifest import HERE, Implementation, discover
from tests.needs import implementation_python, require

IMPLS = discover()
#: The profile every adapter here is judged by (their identities name it).
PROFILE = "libvirt-9.0-qemu"
#: "source: FILE FUNCTION()" (a file with an extension, then a function or a type).
SOURCE_REFERENCE = re.compile(r"source: [\w./-]+\.\w+ [\w.]+(\(\))?")


def _ids(impls: list[Implementation]) -> list[str]:
    return [i.name for i in impls]


def test_every_folder_is_an_implementation() -> None:
    """Each folder has a manifest, or is a writer-only library's (``writes.json``, judged by
    harness/writer.py, tests/test_writer.py)."""
    folders = sorted(p.name for p in HERE.iterdir() if p.is_dir() and p.name != "__pycache__")
    writers = {p.parent.name for p in HERE.glob("*/writes.json")}
    assert [f for f in folders if f not in writers] == [i.name for i in IMPLS]
    for name in writers:
        assert (HERE / name / "README.md").is_file()
        assert f"[{name}]({name}/)" in (HERE / "README.md").read_text(encoding="utf-8")


def test_the_readme_lists_every_implementation() -> None:
    text = (HERE / "README.md").read_text(encoding="utf-8")
    for impl in IMPLS:
        assert f"[{impl.name}]({impl.name}/)" in text


@pytest.mark.parametrize("impl", IMPLS, ids=_ids(IMPLS))
def test_folder_is_complete(impl: Implementation) -> None:
    assert (impl.folder / "README.md").is_file()
    assert impl.impl.startswith("python:")
    module = impl.impl.removeprefix("python:").partition(":")[0]
    assert any((p / f"{module}.py").is_file() for p in impl.pythonpath), module


@pytest.mark.parametrize("impl", IMPLS, ids=_ids(IMPLS))
def test_known_failures_are_well_formed_and_triaged(impl: Implementation) -> None:
    corpus = load_corpus(default_corpus())
    known = load_expectations(impl.known_failures, {c.id for c in corpus.cases})
    data = read_expectations(impl.known_failures)
    assert data.get("implementation", "").startswith(impl.name)
    untriaged = [
        case_id
        for case_id, entries in known.items()
        for entry in entries
        if not SOURCE_REFERENCE.search(entry.reason)
    ]
    assert untriaged == [], "entries whose reason names no source (file and function)"


def test_a_reason_without_a_source_is_caught() -> None:
    assert not SOURCE_REFERENCE.search("the library loses <state>")
    assert SOURCE_REFERENCE.search("lost (source: lib/x-snapshot.c gvir_x_get_state())")
    assert SOURCE_REFERENCE.search("lost (source: virtinst/snapshot.py DomainSnapshot)")


@pytest.mark.parametrize("impl", IMPLS, ids=_ids(IMPLS))
def test_adapter_claims_what_the_manifest_says(impl: Implementation) -> None:
    require(f"implementation:{impl.name}")
    python = implementation_python(impl.name)
    assert python is not None
    module, _, attr = impl.impl.removeprefix("python:").partition(":")
    code = (
        f"import importlib, json; m = importlib.import_module({module!r})\n"
        f"for a in {attr!r}.split('.'):\n    m = getattr(m, a) if a else m\n"
        "print(json.dumps(m.identify()))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(p) for p in impl.pythonpath))
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    identity = identity_from_wire(json.loads(done.stdout))
    assert identity.name.startswith(impl.name)
    assert identity.profile == PROFILE
    assert sorted(str(c) for c in identity.claimed_classes()) == sorted(impl.classes)


def test_run_py_lists_the_debian_packages() -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / "run.py"), "--packages", "apt"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    wanted = {p for i in IMPLS for p in i.install.get("apt", ())}
    assert set(done.stdout.split()) == wanted


def _model_cases() -> int:
    corpus = load_corpus(default_corpus())
    return sum(
        ConformanceClass.MODEL in case_classes(c, c.expectation_for(PROFILE)) for c in corpus.cases
    )


@pytest.mark.parametrize("impl", IMPLS, ids=_ids(IMPLS))
def test_the_main_readme_gives_the_current_counts(impl: Implementation) -> None:
    """The README's row (class, pass, known failures) matches the known-failures file and the
    corpus: a model-class implementation passes every model case it does not list."""
    text = (HERE.parent / "README.md").read_text(encoding="utf-8")
    row = next((line for line in text.splitlines() if line.startswith(f"| [{impl.name}](")), None)
    assert row is not None, f"README.md has no row for {impl.name}"
    cells = [c.strip() for c in row.split("|")[1:-1]]
    known = len(read_expectations(impl.known_failures)["cases"])
    assert impl.classes == ("model",), "the row's counts are for model-class implementations"
    assert cells[1:4] == ["model", str(_model_cases() - known), str(known)]


def _folder(root: Path, cases: dict[str, object]) -> Path:
    """An implementation folder (the reference, under another name) with these known failures."""
    folder = root / "ref"
    folder.mkdir(parents=True)
    manifest = {
        "name": "ref",
        "impl": "python:harness.reference",
        "classes": ["libvirt-format", "model", "semantics"],
        "known_failures": "known-failures.json",
        "probe": "import harness",
    }
    (folder / "implementation.json").write_text(json.dumps(manifest))
    known = {"implementation": "ref", "cases": cases}
    (folder / "known-failures.json").write_text(json.dumps(known))
    return root


@pytest.mark.parametrize(
    ("cases", "status"),
    [({}, 0), ({"syntax-memory-no": {"status": "fail", "reason": "listed, but passes"}}, 1)],
    ids=["as-known", "unexpected-pass"],
)
def test_run_py_fails_on_any_change_from_the_known_failures(
    tmp_path: Path, cases: dict[str, object], status: int
) -> None:
    root = _folder(tmp_path / "impls", cases)
    argv = ["--root", str(root), "-k", "syntax-memory-no", "--report-dir", str(tmp_path / "r")]
    done = subprocess.run(
        [sys.executable, str(HERE / "run.py"), *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == status, done.stdout[-2000:]
    assert "ref: as known" in done.stdout if status == 0 else "ref: CHANGED" in done.stdout


@pytest.mark.parametrize(("flags", "status"), [([], 0), (["--require-installed"], 1)])
def test_an_absent_library_is_skipped_or_with_require_installed_fails(
    tmp_path: Path, flags: list[str], status: int
) -> None:
    root = _folder(tmp_path / "impls", {})
    manifest = json.loads((root / "ref" / "implementation.json").read_text())
    manifest.update(probe="import no_such_library_here", install={"apt": ["libno-such"]})
    (root / "ref" / "implementation.json").write_text(json.dumps(manifest))
    done = subprocess.run(
        [sys.executable, str(HERE / "run.py"), "--root", str(root), *flags],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == status
    assert "apt install libno-such" in done.stdout
