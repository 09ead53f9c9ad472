"""Offline parts of remote storage: which URIs are remote, qcow2 headers, virsh's vol-list."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.host import qcow2
from harness.host.safety import HostOptions
from harness.host.storage import is_remote_uri, pool_target, pool_xml, uses_pool
from harness.host.virsh_backend import VirshBackend


@pytest.mark.parametrize(
    ("uri", "remote"),
    [
        ("qemu+tcp://127.0.0.1:16712/system", True),
        ("qemu+ssh://root@host.example/system", True),
        ("qemu+tls://host.example/system", True),
        ("qemu+libssh2://host/system?known_hosts=/k", True),
        ("qemu://host.example/system", True),  # a host name without transport: TLS
        ("qemu:///system", False),
        ("qemu:///system?socket=/var/lib/x/run/libvirt/libvirt-sock", False),
        ("qemu+unix:///system", False),
        ("test:///default", False),
    ],
)
def test_remote_uris(uri: str, remote: bool) -> None:
    assert is_remote_uri(uri) is remote
    assert uses_pool(uri, HostOptions()) is remote


def test_storage_option_forces_either_way() -> None:
    assert uses_pool("qemu:///system", HostOptions(storage="pool"))
    assert not uses_pool("qemu+tcp://h/system", HostOptions(storage="local"))
    assert not uses_pool("test:///default", HostOptions(storage="pool"))


def test_pool_xml_round_trip() -> None:
    xml = pool_xml("snapconform-r0123abcd-scratch", "u", "/var/tmp/snapconform-r0123abcd-scratch")
    assert pool_target(xml) == ("dir", "/var/tmp/snapconform-r0123abcd-scratch")


@pytest.mark.needs("qemu-img")
def test_qcow2_header_names_internal_snapshots(tmp_path: Path) -> None:
    image = tmp_path / "a.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "1M"], check=True)
    head = qcow2.parse_header(image.read_bytes()[: qcow2.HEADER_BYTES])
    assert (head.snapshots, head.backing) == (0, False)
    for name in ("first", "my snap", "a-much-longer-name-than-eight"):
        subprocess.run(["qemu-img", "snapshot", "-c", name, str(image)], check=True)
    data = image.read_bytes()
    head = qcow2.parse_header(data[: qcow2.HEADER_BYTES])
    table = data[head.snapshots_offset : head.snapshots_offset + 4096]
    names = qcow2.snapshot_names(table, head.snapshots)
    assert names == ["first", "my snap", "a-much-longer-name-than-eight"]
    overlay = tmp_path / "b.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(image), str(overlay)],
        check=True,
    )
    assert qcow2.parse_header(overlay.read_bytes()[: qcow2.HEADER_BYTES]).backing


def test_qcow2_refuses_other_bytes() -> None:
    with pytest.raises(qcow2.Qcow2Error):
        qcow2.parse_header(b"\0" * 512)  # a raw image


def test_virsh_vol_list_with_spaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """virsh pads its table: a path starts in the header's Path column, spaces or not."""
    out = (
        " Name          Path\n"
        "-------------------------------------------------------------------\n"
        " my snap.mem   /var/tmp/snapconform-r500cabf9-scratch/my snap.mem\n"
        " vda.qcow2     /var/tmp/snapconform-r500cabf9-scratch/vda.qcow2\n"
        "\n"
    )
    backend = VirshBackend("qemu+tcp://h/system", tmp_path)
    monkeypatch.setattr(backend, "_run", lambda *words, mutates=False: out)
    assert backend.vol_paths("pool") == {
        "my snap.mem": "/var/tmp/snapconform-r500cabf9-scratch/my snap.mem",
        "vda.qcow2": "/var/tmp/snapconform-r500cabf9-scratch/vda.qcow2",
    }
