"""snapconform explore: disagreements are found, shrunk and written as candidates only."""

from __future__ import annotations

import json
from pathlib import Path

from harness.adapters.python import PythonAdapter
from harness.explore import Scenario, explore, write_candidates


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
            assert len(d.scenario.flags) <= 2
        written = write_candidates(found, tmp_path / "out", "A", "B")
    finally:
        a.close()
        b.close()
    doc = json.loads((written[0] / "candidate.json").read_text())
    assert doc["status"].startswith("candidate") and set(doc["observed"]) == {"A", "B"}
    assert "expect" not in doc  # never an expectation
    assert (written[0] / "input.xml").read_text().startswith("<domainsnapshot>")


def test_one_implementation_agrees_with_itself() -> None:
    a = PythonAdapter("harness.reference")
    b = PythonAdapter("harness.reference")
    try:
        found, _ = explore(a, b, 15)
    finally:
        a.close()
        b.close()
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
