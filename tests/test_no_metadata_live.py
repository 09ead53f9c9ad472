"""The --no-metadata cells of the 9.0 QEMU table, held against an independent live probe.

``scripts/probe-no-metadata`` asks real libvirt through Debian's Python binding, sharing no
code with the harness, and reports what each request did. A cell recorded as refused must
have been refused by the create call itself (never a failed read-back afterwards), and an
accepted cell without a stored definition must list exactly the effects the probe saw.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.paths import default_corpus
from harness.table.loader import load_table
from tests.hostutil import REPO, qemu_lock
from tests.needs import SYSTEM_PYTHON

PROBE = REPO / "scripts" / "probe-no-metadata"
pytestmark = pytest.mark.needs("virsh", "qemu-img", "libvirtd", "system-libvirt-python")


def _facts(line: dict[str, object], workdir_files: list[str]) -> list[str]:
    facts = [f"created @SCRATCH@/{f}" for f in workdir_files]
    source = line["disk_source"]
    assert isinstance(source, list)
    if source and not str(source[0]).endswith("/vda.qcow2"):
        facts.append(f"vda: the disk's source is now @SCRATCH@/{Path(source[0]).name}")
    snaps = line["image_snapshots"]
    assert isinstance(snaps, list)
    facts += [f"vda: the image holds internal snapshot '{n}'" for n in snaps]
    return sorted(facts)


def test_no_metadata_cells_agree_with_the_probe() -> None:
    with qemu_lock():
        done = subprocess.run(
            [str(SYSTEM_PYTHON), str(PROBE)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    table = load_table(default_corpus(), "libvirt-9.0-qemu").defined_cells()
    by_id = {k.id: r for k, r in table.items()}
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.strip()]
    assert len(lines) == 24
    for line in lines:
        full = "diskonly" if line["disk_only"] else "full"
        cell = f"table-{line['state']}-{line['memory']}-omit-{full}-qcow2-no-metadata"
        result = by_id[cell]
        if "refused" in line:
            assert result.outcome in ("invalid", "unsupported"), cell
            assert result.message == line["refused"][1], cell
            continue
        assert line["readable"] is False, f"{cell}: libvirt kept a definition"
        assert result.outcome == "accepted" and not result.stored, (
            f"{cell}: libvirt created the snapshot, the table says {result}"
        )
        assert sorted(result.effects) == _facts(line, line["new_files"]), cell
