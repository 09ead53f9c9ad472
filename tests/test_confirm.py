"""snapconform confirm: live outcomes become a profile's expectations, with provenance."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.breaks_record import write
from harness.cli import main
from harness.confirm import confirm_corpus, stable_message
from harness.contract import (
    Accepted,
    Errored,
    Identity,
    Level,
    Operation,
    Outcome,
    Rejected,
    RejectionKind,
    Request,
)
from harness.corpus.lint import check
from harness.corpus.loader import load_corpus
from harness.paths import default_corpus
from harness.rules import load_catalogue
from harness.table.loader import load_table, table_files

SCRATCH = "/var/tmp/snapconform/r0000abcd/scratch"
UUID = "0f0f0f0f-1111-4222-8333-444455556666"
PROFILE = "libvirt-12.9-qemu"
SOURCE = "libvirt-12.9.0-live-qemu"
CASE = "sem-align-driver-only-diskonly"


class Canned:
    """An adapter answering every request with one outcome, remembering the requests."""

    scratch = SCRATCH

    def __init__(self, outcome: Outcome) -> None:
        self.connectable = "virsh:qemu:///system?socket=/x"
        self.outcome = outcome
        self.requests: list[Request] = []

    def identify(self) -> Identity:
        return Identity(
            "libvirt (virsh)",
            "12.9.0",
            frozenset(Level),
            frozenset(Operation),
            details={"libvirt": "12.9.0", "driver": "QEMU"},
        )

    def run(self, request: Request) -> Outcome:
        self.requests.append(request)
        return self.outcome

    def close(self) -> None:
        pass


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(default_corpus(), dest)
    path = dest / "cases" / CASE / "case.json"  # the case as it was before any confirmation
    data = json.loads(path.read_text())
    for exp in data["expect"]:
        exp["profiles"] = [p for p in exp["profiles"] if p != PROFILE]
        exp["provenance"] = [p for p in exp["provenance"] if p["source"] != SOURCE]
    data["expect"] = [e for e in data["expect"] if e["profiles"]]
    path.write_text(json.dumps(data, indent=2) + "\n")
    (dest / "cases" / CASE / f"expected-{PROFILE}.xml").unlink(missing_ok=True)
    return dest


def _confirm(root: Path, outcome: Outcome, case: str = CASE) -> tuple[str, list[dict[str, object]]]:
    report = confirm_corpus(
        Canned(outcome), root, PROFILE, SOURCE, only=case, write=True, new_uuid=lambda: UUID
    )
    [c] = report.confirmations
    data = json.loads((root / "cases" / case / "case.json").read_text())
    return c.status, data["expect"]


def _problems(root: Path) -> list[str]:
    """check's problems once the rules the profiles break are recorded (as the CLI does)."""
    tables = {p: load_table(root, p) for p in table_files(root)}
    write(root, load_catalogue(root), load_corpus(root), tables)
    return check(root).problems


def _expected(root: Path, name: str = "expected.xml") -> str:
    return (root / "cases" / CASE / name).read_text().replace("@SCRATCH@", SCRATCH)


def test_an_outcome_that_passes_another_profiles_expectation_joins_it(corpus: Path) -> None:
    status, expect = _confirm(corpus, Accepted(_expected(corpus)))
    assert status == "moved"
    [held] = [e for e in expect if PROFILE in e["profiles"]]
    assert {"libvirt-9.0-qemu", PROFILE} <= set(held["profiles"])
    assert held["output"] == "expected.xml"
    mine = [p for p in held["provenance"] if p["source"] == SOURCE]
    assert len(mine) == 1 and "confirmed by `snapconform confirm --impl virsh:" in mine[0]["detail"]
    assert "libvirt 12.9.0" in mine[0]["detail"]
    # confirming again refreshes that provenance instead of stacking a second one
    status, expect = _confirm(corpus, Accepted(_expected(corpus)))
    assert status == "confirmed"
    [held] = [e for e in expect if PROFILE in e["profiles"]]
    assert [p["source"] for p in held["provenance"]].count(SOURCE) == 1
    # the same fact through the binding is a second, independent confirmation: kept beside
    binding = Canned(Accepted(_expected(corpus)))
    binding.connectable = "libvirt:qemu:///system?socket=/x"
    confirm_corpus(binding, corpus, PROFILE, SOURCE, only=CASE, write=True, new_uuid=lambda: UUID)
    data = json.loads((corpus / "cases" / CASE / "case.json").read_text())
    [held] = [e for e in data["expect"] if PROFILE in e["profiles"]]
    mine = [p["detail"] for p in held["provenance"] if p["source"] == SOURCE]
    assert len(mine) == 2 and "--impl libvirt:" in mine[1] and "--impl virsh:" in mine[0]


def test_a_rejection_another_driver_gave_joins_that_expectation(corpus: Path) -> None:
    said = "unsupported flags (0x10) in function testDomainSnapshotCreateXML"
    status, expect = _confirm(corpus, Rejected(RejectionKind.INVALID, said, "VIR_ERR_INVALID_ARG"))
    assert status == "moved"
    [held] = [e for e in expect if PROFILE in e["profiles"]]
    assert "libvirt-9.0-test" in held["profiles"]


def test_a_new_rejection_keeps_the_stable_start_of_its_message(corpus: Path) -> None:
    said = f"unsupported configuration: source for disk 'vda' {SCRATCH}/vda.qcow2 is odd"
    status, expect = _confirm(
        corpus, Rejected(RejectionKind.UNSUPPORTED, said, "VIR_ERR_CONFIG_UNSUPPORTED")
    )
    assert status == "new"
    [mine] = [e for e in expect if PROFILE in e["profiles"]]
    assert mine["profiles"] == [PROFILE] and mine["kind"] == "unsupported"
    assert mine["code"] == "VIR_ERR_CONFIG_UNSUPPORTED"
    assert mine["message"] == "unsupported configuration: source for disk 'vda'"
    assert "@SCRATCH@/vda.qcow2" in mine["provenance"][0]["detail"]
    assert _problems(corpus) == []


def test_a_new_acceptance_writes_its_answer_with_placeholders(corpus: Path) -> None:
    other = _expected(corpus).replace(f"{SCRATCH}/vda.s1", f"{SCRATCH}/vda.other")
    # the run's own domain, as libvirt embeds it: written as the masked stub the corpus uses
    other = other.replace(
        "<domain type='qemu'/>",
        f"<domain type='qemu'><name>snapconform-r0000abcd-d1</name><uuid>{UUID}</uuid></domain>",
    )
    status, expect = _confirm(corpus, Accepted(other))
    assert status == "new"
    [mine] = [e for e in expect if PROFILE in e["profiles"]]
    assert mine["output"] == f"expected-{PROFILE}.xml"
    written = (corpus / "cases" / CASE / mine["output"]).read_text()
    assert "@SCRATCH@/vda.other" in written and SCRATCH not in written
    assert "<domain type='qemu'/>" in written and "snapconform-r" not in written
    case = load_corpus(corpus).case(CASE)
    assert case.expectation_for(PROFILE) is not None
    # a later, different answer replaces the profile's expectation and its file
    status, expect = _confirm(corpus, Accepted(_expected(corpus)))
    assert status == "moved"
    assert not (corpus / "cases" / CASE / f"expected-{PROFILE}.xml").exists()
    assert _problems(corpus) == []


def test_errored_and_run_specific_answers_write_nothing(corpus: Path) -> None:
    before = (corpus / "cases" / CASE / "case.json").read_text()
    status, _ = _confirm(corpus, Errored("snapshot create: libvirt error with a message"))
    assert status == "unconfirmed"
    named = _expected(corpus).replace("vda.s1", "snapconform-r0000abcd-d1.s1")
    status, _ = _confirm(corpus, Accepted(named))
    assert status == "unconfirmed"
    assert (corpus / "cases" / CASE / "case.json").read_text() == before


def test_a_dry_confirmation_writes_nothing(corpus: Path) -> None:
    before = (corpus / "cases" / CASE / "case.json").read_text()
    report = confirm_corpus(
        Canned(Accepted(_expected(corpus))), corpus, PROFILE, SOURCE, only=CASE,
        new_uuid=lambda: UUID,
    )  # fmt: skip
    assert [c.status for c in report.confirmations] == ["moved"] and not report.written
    assert (corpus / "cases" / CASE / "case.json").read_text() == before


def test_a_source_the_profile_does_not_accept_is_refused(corpus: Path) -> None:
    with pytest.raises(ValueError, match="does not accept provenance"):
        confirm_corpus(
            Canned(Accepted("")), corpus, PROFILE, "libvirt-9.0.0-live-qemu", new_uuid=str
        )


def test_stable_message() -> None:
    assert stable_message(f"no file {SCRATCH}/x", [SCRATCH]) is None
    assert stable_message("internal error: domain 'snapconform-r0000abcd-d1' is odd", []) == (
        "internal error: domain"
    )
    # the longest stable stretch wins, the path under the scratch directory cut whole
    said = (
        f"unsupported configuration: source for disk 'vda' ({SCRATCH}/gone.qcow2) doesn't "
        "exist or is not a regular file; refusing to generate external snapshot name"
    )
    assert stable_message(said, [SCRATCH]) == (
        "doesn't exist or is not a regular file; refusing to generate external snapshot name"
    )
    assert stable_message(f"disk '{SCRATCH}/a' and the rest of it", [SCRATCH]) == (
        "and the rest of it"
    )
    assert stable_message(f"unsupported configuration: disk '{UUID}'", [UUID]) == (
        "unsupported configuration: disk"
    )
    assert stable_message("XML error: no", []) == "XML error: no"


@pytest.mark.parametrize("impl", ["python:harness.reference", "replay:/tmp/x.jsonl"])
def test_the_cli_refuses_anything_but_a_real_libvirt(
    impl: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["confirm", "--impl", impl, "--profile", PROFILE, "--source", SOURCE])
    assert code == 2 and "real libvirt" in capsys.readouterr().err
