"""Cases grouped by fixture (harness.ordering), the background-teardown safety rule, and a
``-k`` selection that finishes being complete."""

from __future__ import annotations

from pathlib import Path

from harness.contract import Context, DiskSpec, DomainState, Flag, Level, Operation, Request
from harness.host.domains import relabels_nothing
from harness.host.runner import STATE_RANK
from harness.ordering import NO_FIXTURE, FixtureKey, group_of, ordered, scope_of
from tests.test_suite import suite


def test_groups_keep_first_appearance_and_sort_by_rank_inside() -> None:
    keys: dict[str, FixtureKey] = {
        "a1": ("A", (1, 0)),
        "b0": ("B", (0, 0)),
        "a0": ("A", (0, 0)),
        "n": None,
        "a1d": ("A", (1, 1)),
        "b2": ("B", (2, 0)),
        "a1x": ("A", (1, 0)),
    }
    got = ordered(list(keys), keys.__getitem__)
    # no-fixture cases first; A before B (A came first); in A: shut off, running (the
    # dirtying one last), in the corpus order otherwise
    assert got == ["n", "a0", "a1", "a1x", "a1d", "b0", "b2"]
    assert group_of(None) == NO_FIXTURE and group_of(("A", (0, 0))) == "A"
    # xdist scopes: a group's cases of one state go to one worker
    assert scope_of(("A", (1, 0))) == scope_of(("A", (1, 1))) != scope_of(("A", (2, 0)))


def test_state_rank_never_needs_a_destroy_inside_a_group() -> None:
    order = sorted(DomainState, key=STATE_RANK.__getitem__)
    assert order == [DomainState.SHUTOFF, DomainState.RUNNING, DomainState.PAUSED]


def _runner_key(state: DomainState, xml: str, flags: frozenset[Flag] = frozenset()) -> FixtureKey:
    from harness.host.runner import HostRunner
    from harness.host.safety import HostOptions

    runner = HostRunner(
        None,  # type: ignore[arg-type]
        HostOptions(root=Path("/nonexistent")),
        name="t",
        run_id="r00000000",
    )
    disks = (DiskSpec(target="vda", source=f"{runner.scratch}/vda.qcow2"),)
    ctx = Context(state=state, flags=flags, disks=disks)
    return runner.fixture_key(Request(Level.SEMANTICS, Operation.CREATE, xml, ctx))


def test_runner_key_marks_external_snapshots_of_active_domains() -> None:
    ext = "<domainsnapshot><memory snapshot='external' file='/x'/></domainsnapshot>"
    internal = "<domainsnapshot><memory snapshot='internal'/></domainsnapshot>"
    running_ext = _runner_key(DomainState.RUNNING, ext)
    assert running_ext is not None and running_ext[1] == (1, 1)
    assert _runner_key(DomainState.RUNNING, internal) == (running_ext[0], (1, 0))
    assert _runner_key(DomainState.SHUTOFF, ext) == (running_ext[0], (0, 0))
    disk_only = _runner_key(DomainState.PAUSED, internal, frozenset({Flag.DISK_ONLY}))
    assert disk_only == (running_ext[0], (2, 1))


def test_background_teardown_only_where_stopping_relabels_nothing() -> None:
    def dom(labels: str) -> str:
        return f"<domain><name>x</name>{labels}</domain>"

    root_dac = (
        "<seclabel type='dynamic' model='dac' relabel='yes'>"
        "<label>+0:+0</label><imagelabel>+0:+0</imagelabel></seclabel>"
    )
    assert relabels_nothing(dom(root_dac))
    assert relabels_nothing(dom(""))
    assert relabels_nothing(dom("<seclabel type='none'/>"))
    qemu_dac = root_dac.replace("+0:+0</imagelabel>", "+64055:+994</imagelabel>")
    assert not relabels_nothing(dom(qemu_dac))
    selinux = "<seclabel type='dynamic' model='selinux' relabel='yes'/>"
    assert not relabels_nothing(dom(root_dac + selinux))
    assert not relabels_nothing("<domain")


def test_a_finished_k_selection_is_complete(mini_corpus: Path, tmp_path: Path) -> None:
    _code, results, out = suite(
        "python:impls.tiny", tmp_path, "--profile", "alpha", "-k", "accepted", corpus=mini_corpus
    )
    assert results, out
    assert [r["id"] for r in results["results"]] == ["accepted-case"], out
    assert results["footer"]["complete"] is True, out
