"""The README's set-up (issue 8): two commands, pasted as they are, on a bare Debian 12.
CI runs them for real in a fresh clone (scripts/readme-setup); this checks their shape."""

from __future__ import annotations

import subprocess

from tests.test_suite import REPO


def setup_commands() -> list[str]:
    """The lines scripts/readme-setup runs (its own awk program, so both read the same)."""
    script = (REPO / "scripts" / "readme-setup").read_text()
    program = next(line for line in script.splitlines() if "awk '" in line)
    awk = program.split("awk '", 1)[1].split("'", 1)[0]
    done = subprocess.run(
        ["awk", awk, str(REPO / "README.md")], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def test_the_set_up_is_two_commands_the_first_makes_the_venv_the_second_uses() -> None:
    first, second = setup_commands()
    assert first.startswith("python3 -m venv .venv && ")
    assert "snapconform run" in first and "tox -e py,lint" in second
    # nothing assumes an activated virtualenv: every tool is called through .venv/bin
    for command in (first, second):
        words = command.split("#", 1)[0].replace("&&", " ").split()
        tools = [w for w in words if w in ("pip", "snapconform", "tox", "pytest")]
        assert tools == [], command


def test_the_apt_packages_a_bare_debian_needs_are_named() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Set-up") : readme.index("```sh", readme.index("## Set-up"))]
    assert "apt-get install python3-venv python3-pip git" in section
