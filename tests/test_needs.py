"""The one guard for tests that need a tool or a service (tests/needs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import needs

TESTS = Path(__file__).resolve().parent


def test_a_missing_need_says_what_and_how(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(needs.NEEDS, "absent-tool", needs.Need(lambda: False, "apt-get install x"))
    monkeypatch.setitem(needs.NEEDS, "there", needs.Need(lambda: True, "nothing"))
    needs.present.cache_clear()
    try:
        assert needs.missing(("there",)) is None
        assert needs.missing(("there", "absent-tool")) == "needs absent-tool (apt-get install x)"
        with pytest.raises(pytest.skip.Exception, match="absent-tool"):
            needs.require("absent-tool")
    finally:
        needs.present.cache_clear()


def test_tools_name_their_debian_package() -> None:
    assert "libvirt-clients" in needs.NEEDS["virsh"].how
    assert "qemu-utils" in needs.NEEDS["qemu-img"].how


def test_unknown_needs_are_refused() -> None:
    with pytest.raises(KeyError, match="unknown need"):
        needs.present("virhs")


def test_no_test_probes_the_machine_itself() -> None:
    """Every skip for an absent tool or service goes through tests/needs.py, so `tox -e py`
    on a bare machine skips (and lists) them all the same way."""
    offenders = []
    pattern = re.compile(
        r"shutil\.which\(|mark\.skipif\(|qemu_answers\(\)|find_spec\(|importorskip\(|HAVE_TOOLS"
    )
    for path in TESTS.rglob("*.py"):
        if path.name in ("needs.py", "hostutil.py", "test_needs.py") or path.parent.name == "impls":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(TESTS)}:{number}: {line.strip()}")
    assert offenders == []
