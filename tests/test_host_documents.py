"""Syntax-level documents onto a scratch domain and back (harness.host.documents): what the
embedded scratch domain brings in never reaches the answer."""

from __future__ import annotations

from harness.host.documents import embed_domain, parse_plan, strip_domain

SCRATCH = "/scratch"
DOMAIN = (
    "<domain type='qemu'><name>snapconform-x</name>"
    "<uuid>11111111-2222-4333-8444-555555555555</uuid>"
    "<devices><disk type='file' device='disk'><source file='/scratch/vda.qcow2'/>"
    "<target dev='vda' bus='virtio'/></disk></devices></domain>"
)
UUID = "9d37b878-a7cc-9f9a-b78f-49b3abad25a8"


def test_strip_drops_the_disk_aligned_to_the_scratch_domain() -> None:
    request = "<domainsnapshot><name>a</name><state>shutoff</state></domainsnapshot>"
    answer = (
        "<domainsnapshot><name>a</name><state>shutoff</state><disks>"
        "<disk name='vda' snapshot='internal'/></disks>" + DOMAIN + "</domainsnapshot>"
    )
    assert strip_domain(answer, request) == (
        "<domainsnapshot><name>a</name><state>shutoff</state></domainsnapshot>"
    )


def test_strip_keeps_the_disks_the_request_listed() -> None:
    request = "<domainsnapshot><disks><disk name='vdb' snapshot='no'/></disks></domainsnapshot>"
    answer = (
        "<domainsnapshot><disks><disk name='vda' snapshot='internal'/>"
        "<disk name='vdb' snapshot='no'/></disks></domainsnapshot>"
    )
    assert strip_domain(answer, request) == (
        '<domainsnapshot><disks><disk name="vdb" snapshot="no"/></disks></domainsnapshot>'
    )


def test_a_uuid_only_domain_is_embedded_over_and_put_back() -> None:
    stub = f"<domain><uuid>{UUID}</uuid></domain>"
    request = f"<domainsnapshot><name>a</name>{stub}</domainsnapshot>"
    plan = parse_plan(request, SCRATCH)
    assert plan.embed and plan.stub is not None and plan.doc_uuid == UUID
    sent = embed_domain(request, DOMAIN)
    assert 'type="qemu"' in sent and sent.count("<domain ") + sent.count("<domain>") == 1
    answer = "<domainsnapshot><name>a</name>" + DOMAIN + "</domainsnapshot>"
    assert strip_domain(answer, request, plan.stub) == (
        f"<domainsnapshot><name>a</name>{stub}</domainsnapshot>"
    )


def test_a_typed_domain_is_not_embedded_over() -> None:
    plan = parse_plan(f"<domainsnapshot>{DOMAIN}</domainsnapshot>", SCRATCH)
    assert not plan.embed and plan.stub is None
