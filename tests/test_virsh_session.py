"""The virsh shell protocol (markers, echo stripping, errors, death) against a fake virsh."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.host.errors import BackendDown
from harness.host.virsh_session import Reply, VirshSession, quote

FAKE = Path(__file__).parent / "impls" / "fake_virsh.py"


@pytest.fixture
def fake_virsh(tmp_path: Path) -> str:
    script = tmp_path / "virsh"
    script.write_text(f"#!{sys.executable}\n" + FAKE.read_text(encoding="utf-8"))
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def session(fake_virsh: str) -> Iterator[VirshSession]:
    s = VirshSession("qemu:///fake", virsh=fake_virsh, timeout=5)
    yield s
    s.close()


def test_answers_are_split_by_markers(session: VirshSession) -> None:
    assert session.run("uri") == Reply("qemu:///fake\n", "")
    assert "Using API: QEMU 9.0.0" in session.run("version").out
    # echo prints without a newline: the next prompt follows at once, and is still removed
    assert session.run("echo hello world").out == "hello world"
    assert session.run("uri").out == "qemu:///fake\n"
    assert session.started == 1


def test_the_echoed_marker_command_never_ends_an_answer(session: VirshSession) -> None:
    # the command line itself contains text like the marker; only the printed marker counts
    reply = session.run("echo SC''MKdeadbeefx1 SCMK")
    assert reply.out == "SCMKdeadbeefx1 SCMK"


def test_long_answers(session: VirshSession) -> None:
    out = session.run("big 5000").out
    assert out.count("\n") == 5000
    assert out.startswith("line 0 ") and out.rstrip().endswith("x")


def test_errors_keep_libvirts_message_only(session: VirshSession) -> None:
    reply = session.run("xml-error")
    assert reply.out == ""
    assert reply.error == "XML error: external memory snapshots require a filename"
    assert "Failed to create snapshot" in reply.err


def test_multi_line_errors(session: VirshSession) -> None:
    message = session.run("schema-error").error
    assert message is not None
    assert message.startswith("XML document failed to validate against schema: Unable")
    assert message.endswith("Extra element memory in interleave")


def test_a_dead_session_is_reported_then_restarted(session: VirshSession) -> None:
    first = session.run("count").out
    assert int(session.run("count").out) > int(first)  # one process counts on
    with pytest.raises(BackendDown, match="ended"):
        session.run("die")
    assert not session.alive()
    assert session.run("count").out == first  # a new process counts from the start again
    assert session.started == 2


def test_a_hanging_session_times_out_and_is_killed(fake_virsh: str) -> None:
    s = VirshSession("qemu:///fake", virsh=fake_virsh, timeout=0.5)
    try:
        with pytest.raises(BackendDown, match="did not answer"):
            s.run("hang")
        assert not s.alive()
        assert s.run("uri").out == "qemu:///fake\n"
    finally:
        s.close()


def test_a_missing_virsh_is_backend_down(tmp_path: Path) -> None:
    s = VirshSession("qemu:///fake", virsh=str(tmp_path / "no-virsh"))
    with pytest.raises(
        BackendDown,
        match=r"no-virsh is not installed \(on Debian: apt-get install libvirt-clients\)",
    ):
        s.run("uri")


def test_quote() -> None:
    assert quote("vda") == "vda"
    assert quote("/var/tmp/x.xml") == "/var/tmp/x.xml"
    assert quote("a b") == "'a b'"
    assert quote("it's") == "'it'\\''s'"
    with pytest.raises(ValueError):
        quote("a\nb")


def test_one_command_line_at_a_time(session: VirshSession) -> None:
    with pytest.raises(ValueError):
        session.run("uri\nversion")
