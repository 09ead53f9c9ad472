"""Each corpus case, run through the implementation chosen with --impl."""

from harness.pytest_plugin import CaseRunner


def test_case(sc_case_id: str, sc_run: CaseRunner) -> None:
    sc_run(sc_case_id)
