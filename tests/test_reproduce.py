"""Reproductions: what a failing case prints, and that the commands really reproduce.

The live tests run a reproduction by hand on qemu:///system and check that libvirt answers
what the combination table (measured live, independently of this code) says for the cell.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from harness.contract import SCRATCH_TOKEN, UUID_TOKEN, Request
from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
from harness.reproduce import binding_script, reproduction, virsh_commands
from harness.table.cells import request_for
from harness.table.loader import load_table
from harness.table.model import CellKey
from harness.xmlsafe import parse_xml
from tests.hostutil import QEMU, qemu_lock, virsh
from tests.needs import require
from tests.test_suite import suite

SCRATCH = "/var/tmp/snapconform-scratch"
PROFILE = "libvirt-9.0-qemu"
CELLS = {
    "shutoff internal": CellKey("shutoff", "omit", "internal", False, "qcow2"),
    "running disk-only external": CellKey("running", "omit", "external", True, "qcow2"),
}


def test_failing_cases_carry_a_reproduction(tmp_path: Path) -> None:
    code, results, output = suite(
        "python:tests.impls.wrong:no_memory", tmp_path, "-k", "syntax-memory"
    )
    assert code == 1
    bad = [r for r in results["results"] if r["status"] in ("fail", "error")]
    assert bad and all(r["reproduction"] for r in bad)
    assert all(r["reproduction"] is None for r in results["results"] if r["status"] == "pass")
    first = bad[0]["reproduction"]
    assert "importlib.import_module('tests.impls.wrong')" in first
    assert "['no_memory']" in first and "cat > request.json" in first
    assert "reproduce:\n" in output


def test_kinds() -> None:
    request = request_for(CELLS["running disk-only external"], {SCRATCH_TOKEN: SCRATCH})
    text = reproduction("virsh:qemu:///system", request, SCRATCH)
    assert text is not None
    assert "virsh -c qemu:///system define domain.xml" in text
    assert "start snapconform-repro" in text
    assert "snapshot-create snapconform-repro snapshot.xml --disk-only" in text
    assert SCRATCH not in text  # moved to the reproduction's own directory
    script = reproduction("libvirt:qemu:///system", request, SCRATCH)
    assert script is not None and "VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY" in script
    compile(script, "repro.py", "exec")
    curl = reproduction("http://127.0.0.1:8080", request)
    assert curl is not None and "http://127.0.0.1:8080/v1/run" in curl
    assert reproduction("nonsense:x", request) is None


def _modes(xml: str) -> tuple[str | None, set[str]]:
    root = parse_xml(xml)
    memory = root.find("memory")
    return (
        None if memory is None else memory.get("snapshot"),
        {d.get("snapshot", "?") for d in root.iterfind("disks/disk")},
    )


needs_qemu = pytest.mark.needs("virsh", "qemu-img", "libvirtd")


@needs_qemu
@pytest.mark.parametrize("tool", ["virsh", "binding"])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_reproduction_reproduces_the_table_live(tool: str, cell: str, tmp_path: Path) -> None:
    key = CELLS[cell]
    expected = load_table(default_corpus(), PROFILE).defined_cells()[key]
    assert expected.outcome == "accepted"
    request = request_for(key, {SCRATCH_TOKEN: SCRATCH})
    domain = "snapconform-issue12-repro"
    if tool == "virsh":
        script = virsh_commands(request, QEMU, SCRATCH, domain)
        command = ["bash", "-c", script]
    else:
        require("system-libvirt-python")  # the script runs on Debian's python3
        path = tmp_path / "repro.py"
        path.write_text(binding_script(request, QEMU, SCRATCH, domain))
        command = ["/usr/bin/python3", str(path)]
    with qemu_lock():
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=240)
        finally:
            virsh(QEMU, "destroy", domain, check=False)
            virsh(QEMU, "undefine", domain, "--snapshots-metadata", check=False)
    assert domain not in virsh(QEMU, "list", "--all", "--name")
    start = proc.stdout.find("<domainsnapshot")
    assert start >= 0, proc.stdout + proc.stderr
    end = proc.stdout.index("</domainsnapshot>", start) + len("</domainsnapshot>")
    memory, disks = _modes(proc.stdout[start:end])
    assert memory == expected.memory
    assert disks == set(expected.disk_modes() or ())


SYNTAX_CASES = [
    "syntax-no-domain-no-disks",  # no <domain>: the scratch domain is embedded
    "syntax-domain-uuid-only-parent",  # uuid-only <domain> and a parent redefined first
    "syntax-domain-block-disk",  # a typed <domain>: the scratch domain is shaped like it
    "syntax-memory-snapshot-bogus",  # refused by the parser
    "syntax-disk-missing-name",
]


@needs_qemu
@pytest.mark.parametrize("case_id", SYNTAX_CASES)
def test_a_syntax_reproduction_gets_libvirts_answer_live(case_id: str) -> None:
    """A syntax case's reproduction sends what the host adapter sends, so libvirt gives the
    answer the corpus recorded live for it (accepted with its memory mode, or the refusal's
    message), not an approximation of it."""
    case = load_corpus(default_corpus()).case(case_id)
    expected = case.expectation_for(PROFILE)
    assert expected is not None
    tokens = {SCRATCH_TOKEN: SCRATCH, UUID_TOKEN: str(uuid.uuid4())}  # as a run substitutes them
    request = Request(level=case.level, operation=case.operation, xml=case.input_xml(tokens))
    domain = "snapconform-issue12-repro"
    script = virsh_commands(request, QEMU, SCRATCH, domain)
    with qemu_lock():
        try:
            proc = subprocess.run(
                ["bash", "-c", script], capture_output=True, text=True, timeout=240
            )
        finally:
            virsh(QEMU, "destroy", domain, check=False)
            virsh(QEMU, "undefine", domain, "--snapshots-metadata", check=False)
    out = proc.stdout + proc.stderr
    if expected.outcome == "accepted":
        start = proc.stdout.find("<domainsnapshot")
        assert start >= 0, out
        end = proc.stdout.index("</domainsnapshot>", start) + len("</domainsnapshot>")
        want = parse_xml(case.read(str(expected.output)))
        assert _modes(proc.stdout[start:end])[0] == _modes(case.read(str(expected.output)))[0]
        assert want.findtext("name") in proc.stdout
    else:
        assert expected.message is not None
        assert expected.message.split(":")[0] in out, out
