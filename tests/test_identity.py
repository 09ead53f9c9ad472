"""Identity comes from the libvirt that answers (the daemon), not from the client.

A 9.0 client (virsh or the binding) reaching an 11.3 daemon must say 11.3, and the run must be
judged by the daemon's profile; the client's version is only a detail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.adapters.libvirt_binding import LibvirtAdapter
from harness.contract import Identity, Level, Operation
from harness.corpus.loader import load_corpus
from harness.host.safety import HostOptions
from harness.host.virsh_backend import VirshBackend
from harness.paths import default_corpus
from harness.profiles import select_profile
from tests.impls import mock_libvirt

FAKE = Path(__file__).parent / "impls" / "fake_virsh.py"


@pytest.fixture
def fake_virsh(tmp_path: Path) -> str:
    script = tmp_path / "virsh"
    script.write_text(f"#!{sys.executable}\n" + FAKE.read_text(encoding="utf-8"))
    script.chmod(0o755)
    return str(script)


def test_virsh_reports_the_daemon_not_the_client(
    fake_virsh: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_VIRSH_DAEMON", "11.3.0")
    monkeypatch.setenv("FAKE_VIRSH_QEMU", "10.0.0")
    backend = VirshBackend("qemu:///fake", tmp_path, virsh=fake_virsh, timeout=5)
    try:
        info = backend.info()
    finally:
        backend.close()
    assert (info.driver, info.libvirt, info.hypervisor, info.client) == (
        "QEMU",
        "11.3.0",
        "10.0.0",
        "9.0.0",
    )


@pytest.mark.needs("qemu-img")  # a host adapter refuses to start without it
def test_binding_reports_the_connection_not_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mock_libvirt, "DAEMON_VERSION", 12_009_000)
    monkeypatch.setattr(mock_libvirt, "CLIENT_VERSION", 9_000_000)
    adapter = LibvirtAdapter.from_module_target(
        "tests.impls.mock_libvirt@test:///default", HostOptions(root=tmp_path)
    )
    try:
        details = adapter.identify().details
    finally:
        adapter.close()
    assert (details["libvirt"], details["client"]) == ("12.9.0", "9.0.0")


def _identity(driver: str, libvirt: str, hypervisor: str) -> Identity:
    return Identity(
        name="libvirt (virsh)",
        version=libvirt,
        levels=frozenset({Level.SEMANTICS}),
        operations=frozenset({Operation.CREATE}),
        details={"driver": driver, "libvirt": libvirt, "hypervisor": hypervisor, "client": "9.0.0"},
    )


@pytest.mark.parametrize(
    ("driver", "libvirt", "hypervisor", "profile"),
    [
        ("QEMU", "9.0.0", "7.2.22", "libvirt-9.0-qemu"),
        ("Test", "9.0.0", "0.0.2", "libvirt-9.0-test"),
    ],
)
def test_the_daemon_version_selects_the_profile(
    driver: str, libvirt: str, hypervisor: str, profile: str
) -> None:
    corpus = load_corpus(default_corpus())
    assert select_profile(corpus, _identity(driver, libvirt, hypervisor), None).name == profile
