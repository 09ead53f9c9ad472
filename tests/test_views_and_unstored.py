"""Views of a definition must agree; a snapshot made but not kept is its own outcome."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.adapters.libvirt_binding import LibvirtAdapter
from harness.contract import (
    Accepted,
    Context,
    DiskSpec,
    DomainState,
    Flag,
    Level,
    Operation,
    Rejected,
    Request,
    Unstored,
    View,
    outcome_from_wire,
    outcome_to_wire,
    request_to_wire,
)
from harness.corpus.lint import check
from harness.corpus.loader import load_corpus
from harness.host.safety import HostOptions
from harness.paths import default_corpus
from harness.reference import libvirt_9_0_qemu
from harness.table.cells import judge_cell, request_for
from harness.table.loader import load_table
from harness.table.model import CellKey
from harness.views import disagreement
from tests.hostutil import TEST, suite

DOC = "<domainsnapshot><name>s</name><memory snapshot='internal'/></domainsnapshot>"
needs_qemu_img = pytest.mark.needs("qemu-img")


def test_views_that_agree_pass() -> None:
    same = Accepted(DOC, (View("lookup", "s", DOC), View("list", "s")))
    assert disagreement(same) is None


def test_a_view_without_memory_is_a_disagreement_with_a_diff() -> None:
    other = "<domainsnapshot><name>s</name></domainsnapshot>"
    found = disagreement(Accepted(DOC, (View("snapshotCreateXML().getXMLDesc()", "s", other),)))
    assert found is not None
    assert "snapshotCreateXML().getXMLDesc() differs" in found.message
    assert found.diff is not None and '-  <memory snapshot="internal"/>' in found.diff


def test_a_view_that_misses_or_renames_the_snapshot_is_a_disagreement() -> None:
    missing = disagreement(Accepted(DOC, (View("snapshotCurrent()"),)))
    assert missing is not None and "does not show snapshot 's'" in missing.message
    renamed = disagreement(Accepted(DOC, (View("virsh snapshot-create", "t"),)))
    assert renamed is not None and "names the snapshot 't'" in renamed.message


def test_views_and_unstored_outcomes_cross_the_wire() -> None:
    acc = Accepted(DOC, (View("list", "s", None),))
    assert outcome_from_wire(outcome_to_wire(acc)) == acc
    uns = Unstored("cell", ("created /x/vda.cell",), "reading it back: not found")
    assert outcome_from_wire(outcome_to_wire(uns)) == uns


def _nometa_cell(disk_only: bool) -> CellKey:
    return CellKey("running", "omit", "omit", disk_only, "qcow2", ("no-metadata",))


def test_the_reference_makes_no_metadata_snapshots_unstored_with_their_effects() -> None:
    scratch = "/scratch"
    table = load_table(default_corpus(), "libvirt-9.0-qemu").defined_cells()
    profile = load_corpus(default_corpus()).profiles["libvirt-9.0-qemu"]
    for disk_only in (False, True):
        cell = _nometa_cell(disk_only)
        answer = libvirt_9_0_qemu.run(request_to_wire(request_for(cell, {"@SCRATCH@": scratch})))
        assert answer["outcome"] == "unstored"
        verdict = judge_cell(
            cell, table[cell], outcome_from_wire(answer), profile, {"@SCRATCH@": scratch}
        )
        assert verdict.status == "pass", verdict.message


def test_a_cell_judges_unstored_against_stored_and_against_a_refusal() -> None:
    table = load_table(default_corpus(), "libvirt-9.0-qemu").defined_cells()
    profile = load_corpus(default_corpus()).profiles["libvirt-9.0-qemu"]
    cell, tokens = _nometa_cell(True), {"@SCRATCH@": "/s"}
    kept = Accepted("<domainsnapshot><name>cell</name><memory snapshot='no'/></domainsnapshot>")
    assert judge_cell(cell, table[cell], kept, profile, tokens).status == "fail"
    refused = Rejected(
        outcome_from_wire({"outcome": "rejected", "kind": "invalid", "message": "x"}).kind,  # type: ignore[union-attr]
        "Domain snapshot not found: no domain snapshot with matching name 'cell'",
        "VIR_ERR_NO_DOMAIN_SNAPSHOT",
    )
    assert judge_cell(cell, table[cell], refused, profile, tokens).status == "fail"
    wrong = Unstored("cell", ("vda: the image holds internal snapshot 'cell'",))
    verdict = judge_cell(cell, table[cell], wrong, profile, tokens)
    assert verdict.status == "fail" and "effects" in (verdict.message or "")
    right = Unstored("cell", ("created /s/vda.cell", "vda: the disk's source is now /s/vda.cell"))
    assert judge_cell(cell, table[cell], right, profile, tokens).status == "pass"


def test_check_refuses_an_expectation_recorded_from_a_read_back(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus(), corpus)
    path = corpus / "tables" / "libvirt-9.0-qemu.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["rows"]:
        if row.get("flags") == ["no-metadata"] and row["result"].get("stored") is False:
            row["result"] = {
                "outcome": "invalid",
                "code": "VIR_ERR_NO_DOMAIN_SNAPSHOT",
                "message": "Domain snapshot not found: no domain snapshot with matching "
                "name 'cell'",
            }
            break
    path.write_text(json.dumps(data), encoding="utf-8")
    report = check(corpus, use_rng=False)
    assert any("failed read-back" in p for p in report.problems), report.problems


@needs_qemu_img
def test_a_create_whose_definition_is_not_kept_is_unstored_not_rejected(tmp_path: Path) -> None:
    a = LibvirtAdapter.from_module_target(
        "tests.impls.forgetful_mock@test:///default", HostOptions(root=tmp_path)
    )
    try:
        disks = (DiskSpec(target="vda", source=f"{a.scratch}/vda.qcow2"),)
        ctx = Context(DomainState.RUNNING, frozenset({Flag.NO_METADATA}), disks)
        doc = "<domainsnapshot><name>cell</name></domainsnapshot>"
        got = a.run(Request(Level.SEMANTICS, Operation.CREATE, doc, ctx))
        assert isinstance(got, Unstored), got
        assert got.name == "cell" and "reading it back" in (got.detail or "")
        kept = a.run(
            Request(
                Level.SEMANTICS, Operation.CREATE, doc, Context(DomainState.RUNNING, disks=disks)
            )
        )
        assert isinstance(kept, Accepted) and {v.source for v in kept.views} == {
            "snapshotCreateXML().getXMLDesc()",
            "snapshotCurrent().getXMLDesc()",
            "listAllSnapshots()[...].getXMLDesc()",
        }
    finally:
        a.close()


@pytest.mark.needs("libvirt-python", "virsh", "qemu-img")
def test_a_binding_that_lies_in_one_view_fails_the_suite(tmp_path: Path) -> None:
    proc = suite(
        f"python-libvirt:tests.impls.lying_binding@{TEST}",
        tmp_path,
        "-k",
        "sem-memory-omit-running or table-running-internal-omit-full-qcow2",
    )
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode != 0, out
    assert "views disagree: snapshotCreateXML().getXMLDesc() differs" in out
