"""snapconform explore: disagreements are found, shrunk and written as candidates only."""

from __future__ import annotations

import json
from pathlib import Path

from harness.adapters.python import PythonAdapter
from harness.explore import Disagreement, Explorer, Scenario, explore, write_candidates


def test_two_profiles_disagree_and_each_disagreement_is_shrunk(tmp_path: Path) -> None:
    """The reference's QEMU and test-driver profiles differ (e.g. the test driver accepts
    an active domain's snapshot without memory): explore finds that, minimal."""
    a = PythonAdapter("harness.reference")
    b = PythonAdapter("harness.reference:libvirt_9_0_test")
    try:
        found, explorer = explore(a, b, 40)
        assert found and explorer.runs >= 40
        for d in found:
            assert d.a != d.b
            # minimal: at most one change from the simplest scenario per axis is left
            assert len(d.scenario.flags) <= 3
        written = write_candidates(found, tmp_path / "out", "A", "B")
    finally:
        a.close()
        b.close()
    doc = json.loads((written[0] / "candidate.json").read_text())
    assert doc["status"].startswith("candidate") and set(doc["observed"]) == {"A", "B"}
    assert "expect" not in doc  # never an expectation
    assert (written[0] / "input.xml").read_text().startswith("<domainsnapshot>")


def _explore(a_target: str, b_target: str, budget: int) -> tuple[list[Disagreement], Explorer]:
    a, b = PythonAdapter(a_target), PythonAdapter(b_target)
    try:
        return explore(a, b, budget)
    finally:
        a.close()
        b.close()


def test_one_implementation_agrees_with_itself() -> None:
    found, _ = _explore("harness.reference", "harness.reference", 15)
    assert found == []


def test_the_simplest_scenario_is_a_plain_shutoff_snapshot() -> None:
    request = Scenario().request("/s")
    assert request.xml == "<domainsnapshot><name>x1</name></domainsnapshot>"
    assert request.context is not None and request.context.disks[0].source == "/s/vda.qcow2"


def test_no_scenario_asks_for_a_shut_off_transient_domain() -> None:
    """Regression: explore drew transient shut-off domains, which no host can provision
    (every such request errored on test:///default)."""
    from hypothesis import given, settings

    from harness.explore import _simpler, scenarios

    @settings(max_examples=50, database=None)
    @given(scenarios)
    def check(s: Scenario) -> None:
        assert s.persistent or s.state != "shutoff"
        assert all(x.persistent or x.state != "shutoff" for x in _simpler(s))

    check()


def test_shrinking_ends_when_only_transient_domains_disagree() -> None:
    """A disagreement that holds for a transient domain in every state once sent the greedy
    shrinker round paused -> running -> paused for ever (a hang of tox -e py)."""
    from harness.explore import Disagreement, Explorer

    class OnlyTransient(Explorer):
        def check(self, scenario: Scenario) -> Disagreement | None:
            self.runs += 1
            assert self.runs < 500, "the shrinker is going round in a circle"
            if scenario.persistent:
                return None
            return Disagreement(scenario, {"outcome": "accepted"}, {"outcome": "rejected"})

    explorer = OnlyTransient(None, None)  # type: ignore[arg-type]
    start = Scenario(state="paused", persistent=False, memory="internal", flags=("atomic",))
    found = explorer.check(start)
    assert found is not None
    small = explorer.shrink(found)
    assert small.scenario == Scenario(state="running", persistent=False)


def test_errored_requests_are_counted_and_kept_with_their_message() -> None:
    """An implementation that crashes is never a disagreement; its errors are reported."""
    found, explorer = _explore("harness.reference", "tests.impls.fake:crash", 10)
    assert found == []
    assert explorer.errored == explorer.runs == 10
    assert explorer.errors and all(side == "B" for _, side, _ in explorer.errors)
    assert all(message for _, _, message in explorer.errors)


def test_a_scenario_the_table_asks_is_named_by_its_cell() -> None:
    from harness.explore import covered_by, table_cells
    from harness.paths import default_corpus

    cells = table_cells(default_corpus())
    assert len(cells) == 648
    plain = Scenario(state="running", memory="external", disks=(("vda", "raw", "omit"),))
    assert covered_by(plain, cells) == "table-running-external-omit-full-raw"
    diskonly = Scenario(disks=(("vda", "qcow2", "manual"),), flags=("disk-only",))
    assert covered_by(diskonly, cells) == "table-shutoff-omit-manual-diskonly-qcow2"
    # no cell is a transient domain, nor three flags at once
    assert covered_by(Scenario(state="running", persistent=False), cells) is None
    many = Scenario(state="running", flags=("atomic", "halt", "live"))
    assert covered_by(many, cells) is None


def test_a_candidate_names_the_cell_that_covers_it(tmp_path: Path) -> None:
    found = [
        Disagreement(Scenario(), {"outcome": "rejected"}, {"outcome": "accepted"}),
        Disagreement(Scenario(state="running"), {"outcome": "rejected"}, {"outcome": "unstored"}),
    ]
    written = write_candidates(found, tmp_path, "A", "B", ["table-shutoff-x", None])
    docs = [json.loads((w / "candidate.json").read_text()) for w in written]
    assert docs[0]["covered_by"] == "table-shutoff-x" and "covered_by" not in docs[1]
