"""The host trace (harness/host/trace.py) and the physical-floor replay (bench/floor.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.host import trace
from harness.host.virsh_session import VirshSession
from tests.hostutil import QEMU, REPO, our_inventory, qemu_lock, suite


def _floor_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("floor", REPO / "bench" / "floor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["floor"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


floor = _floor_module()


def _entry(words: list[str], start: float, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "virsh",
        "words": words,
        "start": start,
        "seconds": 0.5,
        "failed": False,
        "thread": "MainThread",
        "pid": 1,
        **extra,
    }


DOMAIN = "<domain><name>snapconform-r1-d1</name><uuid>u1</uuid></domain>"


def test_the_floor_keeps_what_cases_need_and_leaves_out_the_harness_reads() -> None:
    entries = [
        {
            **_entry(["qemu-img", "create", "-q", "-f", "qcow2", "/s/r1/scratch/a", "64M"], 0),
            "kind": "exec",
        },
        _entry(["define", "/s/r1/xml/domain-1.xml"], 1, files={"/s/r1/xml/domain-1.xml": DOMAIN}),
        _entry(["domstate", "u1"], 2),
        _entry(["start", "u1"], 3),
        _entry(["snapshot-create", "u1", "/s/r1/xml/snapshot-2.xml"], 4),
        _entry(["snapshot-dumpxml", "u1", "s1"], 5),
        _entry(["snapshot-dumpxml", "u1", "s1"], 6),  # a second view: harness overhead
        _entry(["snapshot-list", "u1", "--name"], 7),
        _entry(["destroy", "u0"], 7.5, thread="snapconform-retire-0"),
        _entry(["snapshot-delete", "u1", "s1"], 8),
    ]
    p = floor.plan(entries)
    kept = [e["words"][0] for e in p.main]
    assert kept == [
        "qemu-img",
        "define",
        "start",
        "snapshot-create",
        "snapshot-dumpxml",
        "snapshot-delete",
    ]
    assert p.skipped == 3 and p.skipped_seconds == pytest.approx(1.5)
    # the background destroy is handed over where the run issued it: before the delete
    assert [(i, e["words"][0]) for i, e in p.background] == [(5, "destroy")]
    assert p.domains == {"u1": "snapconform-r1-d1"}
    assert floor.run_dirs(p) == {"/s/r1"}


def test_the_floor_refuses_a_trace_that_defines_a_foreign_domain() -> None:
    foreign = "<domain><name>production</name><uuid>u9</uuid></domain>"
    with pytest.raises(SystemExit, match="not the harness's own: production"):
        floor.plan([_entry(["define", "/x/d.xml"], 0, files={"/x/d.xml": foreign})])


def test_the_floor_refuses_a_trace_of_several_workers(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(_entry(["start", "u"], i, pid=i)) + "\n" for i in (1, 2)))
    with pytest.raises(SystemExit, match="2 processes"):
        floor.load(path)


@pytest.mark.needs("virsh")
def test_the_trace_records_commands_with_their_files_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "trace.jsonl"
    xml = tmp_path / "domain.xml"
    xml.write_text("<domain/>")
    session = VirshSession("test:///default")
    try:
        session.run("list --all")
        assert not path.exists()
        monkeypatch.setenv(trace.ENV, str(path))
        session.run("domstate test")
        session.run(f"define {xml}")  # refused: the file is not a domain
    finally:
        session.close()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["words"][0] for e in entries] == ["domstate", "define"]
    assert entries[0]["failed"] is False and entries[0]["out"].strip() == "running"
    assert entries[1]["failed"] is True
    assert entries[1]["files"] == {str(xml): "<domain/>"}


@pytest.mark.needs("virsh", "qemu-img", "libvirtd")
def test_a_traced_host_run_replays_bare_as_it_ran_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    root = tmp_path / "root"
    root.mkdir()
    with qemu_lock():
        before = our_inventory(QEMU, root)
        proc = suite(
            f"virsh:{QEMU}",
            root,
            "-k",
            "sem-mem-internal or sem-mem-no-running",
            SNAPCONFORM_ALLOW_HOST="1",
            SNAPCONFORM_HOST_TRACE=str(path),
        )
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
        result = floor.floor(path, QEMU)
        after = our_inventory(QEMU, root)
    assert result["mismatches"] == [] and result["left"] == []
    verbs = {json.loads(line)["words"][0] for line in path.read_text().splitlines()}
    assert {"define", "start", "snapshot-create", "destroy", "qemu-img"} <= verbs
    assert result["operations"] > 0 and result["skipped"] > 0
    assert after == before


def test_a_traced_program_records_its_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "trace.jsonl"
    monkeypatch.setenv(trace.ENV, str(path))
    assert trace.run([sys.executable, "-c", "raise SystemExit(3)"], timeout=30).returncode == 3
    with pytest.raises(FileNotFoundError):
        trace.run([str(tmp_path / "no-such-program")], timeout=30)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["kind"], e["failed"]) for e in entries] == [("exec", True), ("exec", True)]
