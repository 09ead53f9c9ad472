"""The conformance suite: every corpus case is one test (see harness.pytest_plugin)."""

from harness.pytest_plugin import *  # noqa: F403  (hooks and the sc_run fixture)
