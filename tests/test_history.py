"""The README's behaviour history is what `snapconform diff-profiles --markdown` generates
from the profiles' data: each block between its comment and `<!-- /history -->`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(
    r"<!-- history: snapconform (diff-profiles --markdown [^>]*?) -->\n(.*?)<!-- /history -->",
    re.S,
)


def _blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_the_history_section_has_both_drivers() -> None:
    text = README.read_text(encoding="utf-8")
    assert "### How snapshot behaviour changed, 7.0 → 9.0 → 11.3 → 12.9" in text
    commands = [command for command, _ in _blocks()]
    assert len(commands) == 2
    for driver in ("qemu", "test"):
        chain = ["plan-1.0.1", *(f"libvirt-{r}-{driver}" for r in ("7.0", "9.0", "11.3", "12.9"))]
        assert f"diff-profiles --markdown {' '.join(chain)}" in commands


@pytest.mark.parametrize("command", [c for c, _ in _blocks()])
def test_history_block_is_generated(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    written = dict(_blocks())[command]
    assert main(command.split()) == 0
    assert capsys.readouterr().out == written
