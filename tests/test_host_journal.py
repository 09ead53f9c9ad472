"""Run directories, locks, the journal, leftovers and path checks (no libvirt needed)."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from harness.host.journal import OWNED_NAME, RunDir, lock_held, new_run_id, runs_under
from harness.host.safety import (
    HostOptions,
    find_leftovers,
    paths_outside,
    run_of_domain_xml,
)


def test_run_ids_never_look_like_colleagues_names() -> None:
    run = new_run_id()
    assert OWNED_NAME.match(f"snapconform-{run}-d1")
    assert not OWNED_NAME.match("snapconform-sem-mem-omit-paused")
    assert not OWNED_NAME.match("snapconform-syn-a")
    assert not OWNED_NAME.match("snapconform-syn-run")


def test_a_run_directory_is_locked_while_alive(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "r00000001", uri="test:///default")
    assert run.scratch.is_dir()
    assert run.is_live() and lock_held(run.path / "lock")
    assert [r.run_id for r in runs_under(tmp_path)] == ["r00000001"]
    assert not find_leftovers(None, tmp_path)
    run.release()
    assert not lock_held(run.path / "lock")
    leftovers = find_leftovers(None, tmp_path)
    assert [r.run_id for r in leftovers.runs] == ["r00000001"]
    assert "r00000001" in leftovers.describe()
    run.remove()
    assert not (tmp_path / "r00000001").exists()


def _hold(root: str, ready: object) -> None:  # pragma: no cover - runs in a child
    RunDir.create(Path(root), "r00000002")
    ready.set()  # type: ignore[attr-defined]
    os.kill(os.getpid(), 9)


def test_a_killed_run_is_a_leftover(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_hold, args=(str(tmp_path), ready))
    child.start()
    child.join(10)
    assert child.exitcode == -9
    assert [r.run_id for r in find_leftovers(None, tmp_path).runs] == ["r00000002"]


def test_journal_records_survive_a_torn_line(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "r00000003", uri="qemu:///system")
    j = run.journal
    j.append("create", kind="domain", name="snapconform-r00000003-d1", uuid="u1")
    j.append("create", kind="domain", name="snapconform-r00000003-d2", uuid="u2")
    j.append("removed", kind="domain", name="snapconform-r00000003-d1", uuid="u1")
    with open(j.path, "a", encoding="utf-8") as fh:
        fh.write('{"event": "create", "kind": "dom')  # killed mid-write
    assert j.header()["uri"] == "qemu:///system"
    assert [r["uuid"] for r in j.live_domains()] == ["u2"]
    lines = j.path.read_text().splitlines()
    assert json.loads(lines[1])["event"] == "create"
    run.remove()


def test_metadata_names_the_run() -> None:
    xml = (
        "<domain type='qemu'><name>snapconform-r0000000a-d1</name><metadata>"
        '<sc:run xmlns:sc="https://snapconform.invalid/host/1" id="r0000000a" root="/x/y"/>'
        "</metadata></domain>"
    )
    assert run_of_domain_xml(xml) == ("r0000000a", Path("/x/y"))
    assert run_of_domain_xml("<domain><name>other</name></domain>") is None
    assert run_of_domain_xml("not xml") is None


def test_paths_outside_scratch(tmp_path: Path) -> None:
    scratch = tmp_path / "s"
    ok = (
        f"<domainsnapshot><memory file='{scratch}/m'/><disks><disk name='vda'>"
        f"<source file='{scratch}/o.qcow2'/></disk></disks></domainsnapshot>"
    )
    assert paths_outside(ok, scratch) == []
    bad = (
        "<domainsnapshot><memory file='/etc/m'/><disks><disk name='vda'>"
        f"<source file='{scratch}/../x'/></disk><disk name='vdb'><source protocol='nbd' "
        "name='n'/></disk></disks></domainsnapshot>"
    )
    assert paths_outside(bad, scratch) == ["/etc/m", f"{scratch}/../x", "nbd:n"]
    # the embedded <domain> only describes; relative paths are libvirt's to reject
    quiet = (
        "<domainsnapshot><memory file='rel'/><domain><devices><disk><source "
        "file='/images/vda.qcow2'/></disk></devices></domain></domainsnapshot>"
    )
    assert paths_outside(quiet, scratch) == []
    assert paths_outside("<broken", scratch) == []


def test_options_from_the_environment(tmp_path: Path) -> None:
    opts = HostOptions.from_env(
        {
            "SNAPCONFORM_ALLOW_HOST": "1",
            "SNAPCONFORM_DRY_RUN": "yes",
            "SNAPCONFORM_SCRATCH_ROOT": str(tmp_path),
            "SNAPCONFORM_FIXTURE": "recreate",
        }
    )
    assert opts.allow_host and opts.dry_run and opts.root == tmp_path
    assert opts.fixture == "recreate"
    assert not HostOptions.from_env({}).allow_host


class _Host:
    """Just enough of a Backend for the refusal rules."""

    def __init__(self, uri: str, names: dict[str, str]) -> None:
        self.uri = uri
        self.names = names  # uuid -> name

    def list_domains(self) -> list[object]:
        from harness.host.backend import DomainRef

        return [DomainRef(n, u) for u, n in self.names.items()]

    def domain_xml(self, uuid: str, inactive: bool = False) -> str:
        return f"<domain><name>{self.names[uuid]}</name></domain>"


def test_a_production_looking_host_needs_allow_host(tmp_path: Path) -> None:
    import pytest

    from harness.host.safety import SafetyError, check_can_start

    host = _Host("qemu:///system", {"u1": "snapconform-sem-probe", "u2": "webserver"})
    with pytest.raises(SafetyError, match="--allow-host") as exc:
        check_can_start(host, HostOptions(root=tmp_path))  # type: ignore[arg-type]
    assert "webserver" in str(exc.value)
    check_can_start(host, HostOptions(root=tmp_path, allow_host=True))  # type: ignore[arg-type]
    # the test driver's stock domain "test" is no reason to refuse
    check_can_start(_Host("test:///default", {"u": "test"}), HostOptions(root=tmp_path))  # type: ignore[arg-type]


def test_a_name_alone_does_not_make_a_domain_ours(tmp_path: Path) -> None:
    """A domain named like ours but without our metadata is someone else's: never a
    leftover, never cleaned up."""
    host = _Host("qemu:///system", {"u1": "snapconform-r12345678-d1"})
    assert not find_leftovers(host, tmp_path)  # type: ignore[arg-type]


def test_a_run_being_removed_is_never_seen_as_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another process scanning the root after each file this run deletes must find no
    # leftover: the directory is out of the scan's sight, or its lock held, until the end
    run = RunDir.create(tmp_path, "r00000003", uri="test:///default")
    (run.scratch / "vda.qcow2").write_bytes(b"x" * 1024)
    (run.path / "zz-after-lock").write_text("sorted after the lock")
    seen: list[str] = []
    real_unlink = os.unlink

    def scanning_unlink(path: object, *args: object, **kwargs: object) -> None:
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]
        found = find_leftovers(None, tmp_path)
        if found:
            seen.append(found.describe())

    monkeypatch.setattr(os, "unlink", scanning_unlink)
    run.remove()
    monkeypatch.undo()
    assert seen == []
    assert list(tmp_path.iterdir()) == []


def test_a_half_removed_run_whose_remover_died_is_a_leftover(tmp_path: Path) -> None:
    gone = tmp_path / ".r00000004.gone"
    gone.mkdir()
    (gone / "lock").touch()
    assert find_leftovers(None, tmp_path).partials == (gone,)
