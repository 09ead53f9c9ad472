"""A copy-paste reproduction of one request, for the kind of implementation that answered it.

* ``virsh:URI``: shell commands: the domain XML and the snapshot XML written to files with
  here-documents, ``qemu-img create`` for the disk images, then define, start (and suspend),
  snapshot-create with the case's flags, snapshot-dumpxml, and the cleanup; a syntax case is
  the redefine the host adapter does (its domain shaped from the document, the document's
  domain UUID mapped onto it, a scratch ``<domain>`` embedded where the document has none,
  the parent it names redefined first);
* ``libvirt:URI`` (and ``python-libvirt:``): a short Python script doing the same through the
  binding;
* ``http(s)://``: the request as JSON and the ``curl`` that posts it to ``/v1/run``;
* ``python:``: the request as JSON and the call of the module's ``run``.

The domain is named ``snapconform-repro`` and its files live in ``/var/tmp/snapconform-repro``,
so a reproduction never touches the harness's scratch domains. It is text for a person: it
is built from the request alone and never executed by the harness.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from harness.contract import DomainState, Operation, Request, request_to_wire
from harness.host.binding import _SNAPSHOT_FLAGS
from harness.host.documents import Translation, embed_domain, parent_stub, parse_plan
from harness.host.domains import DomainSpec, domain_xml
from harness.http import RUN_PATH
from harness.xmlsafe import XmlError, parse_xml

DOMAIN = "snapconform-repro"
DIRECTORY = "/var/tmp/snapconform-repro"
#: the reproduction domain's UUID where the document's own is mapped onto it (syntax cases)
REPRO_UUID = "5c0a7c0f-0000-4000-8000-000000000001"


def _heredoc(path: str, text: str) -> str:
    marker = "SNAPCONFORM_EOF"
    while marker in text:
        marker += "_"
    return f"cat > {path} <<'{marker}'\n{text.rstrip(chr(10))}\n{marker}"


def _relocate(text: str, scratch: str | None) -> str:
    if not scratch:
        return text
    return text.replace(scratch.rstrip("/") + "/", DIRECTORY + "/").replace(scratch, DIRECTORY)


def _snapshot_name(xml: str) -> str | None:
    try:
        return parse_xml(xml).findtext("name")
    except XmlError:
        return None


def _flags(request: Request) -> list[str]:
    flags = sorted(str(f) for f in request.context.flags) if request.context else []
    if request.operation in (Operation.REDEFINE, Operation.PARSE):
        flags = ["redefine", *flags]
    return flags


@dataclass(frozen=True)
class _Setup:
    """What a reproduction defines and sends, as the host adapter does for the request."""

    spec: DomainSpec
    state: DomainState
    uuid: str | None
    #: the snapshot document as sent to libvirt
    xml: str
    #: documents redefined before it (the context's existing snapshots, a parent stub)
    existing: tuple[str, ...]


def _setup(request: Request, scratch: str | None, domain: str) -> _Setup:
    ctx = request.context
    xml = _relocate(request.xml, scratch)
    if ctx is None:
        # a syntax case, done as the host adapter does it (harness/host/runner.py): a redefine
        # on a shut-off domain shaped like the document's disks (or its embedded <domain>),
        # the document's domain UUID mapped onto it, the domain embedded where the document
        # has none, and the parent it names redefined first
        plan = parse_plan(xml, DIRECTORY)
        spec = DomainSpec(plan.disks, True)
        doc = Translation(REPRO_UUID, domain, plan.doc_uuid, plan.doc_name).to_host(xml)
        if plan.embed:
            doc = embed_domain(doc, domain_xml(spec, domain, REPRO_UUID, None))
        stub = parent_stub(doc)
        return _Setup(spec, DomainState.SHUTOFF, REPRO_UUID, doc, (stub,) if stub else ())
    disks = tuple(
        d if d.source is None else type(d)(**{**d.__dict__, "source": _relocate(d.source, scratch)})
        for d in ctx.disks
    )
    existing = tuple(_relocate(doc, scratch) for doc in ctx.existing)
    return _Setup(DomainSpec(disks, ctx.persistent), ctx.state, ctx.uuid, xml, existing)


def virsh_commands(
    request: Request, uri: str, scratch: str | None = None, domain: str = DOMAIN
) -> str:
    setup = _setup(request, scratch, domain)
    spec, state, xml = setup.spec, setup.state, setup.xml
    c = f"virsh -c {shlex.quote(uri)}"
    lines = [
        f"# reproduce on {uri}: domain {domain}, files in {DIRECTORY} (cleaned up at the end)",
        f"mkdir -p {DIRECTORY} && cd {DIRECTORY}",
    ]
    for disk in spec.disks:
        if disk.source and disk.source.startswith(DIRECTORY + "/") and disk.type == "file":
            lines.append(f"qemu-img create -q -f {disk.format} {shlex.quote(disk.source)} 64M")
    lines.append(_heredoc("domain.xml", domain_xml(spec, domain, setup.uuid, None)))
    for number, doc in enumerate(setup.existing, 1):
        lines.append(_heredoc(f"existing-{number}.xml", doc))
    lines.append(_heredoc("snapshot.xml", xml))
    lines.append(f"{c} define domain.xml")
    if state in (DomainState.RUNNING, DomainState.PAUSED):
        lines.append(f"{c} start {domain}")
    if state == DomainState.PAUSED:
        lines.append(f"{c} suspend {domain}")
    for number, _ in enumerate(setup.existing, 1):
        lines.append(f"{c} snapshot-create {domain} existing-{number}.xml --redefine")
    flags = " ".join(f"--{f}" for f in _flags(request))
    lines.append(f"{c} snapshot-create {domain} snapshot.xml {flags}".rstrip())
    name = _snapshot_name(xml)
    if name:
        lines.append(f"{c} snapshot-dumpxml {domain} {shlex.quote(name)}")
    else:
        lines.append(f"{c} snapshot-current {domain}")
    lines += [
        "# cleanup",
        f"{c} destroy {domain} 2>/dev/null",
        f"for s in $({c} snapshot-list {domain} --name); do "
        f'{c} snapshot-delete {domain} "$s" --metadata; done',
        f"{c} undefine {domain} --snapshots-metadata",
        f"cd / && rm -rf {DIRECTORY}",
    ]
    return "\n".join(lines) + "\n"


def binding_script(
    request: Request, uri: str, scratch: str | None = None, domain: str = DOMAIN
) -> str:
    setup = _setup(request, scratch, domain)
    spec, state, xml, existing = setup.spec, setup.state, setup.xml, list(setup.existing)
    flags = " | ".join(f"libvirt.{_SNAPSHOT_FLAGS[f][0]}" for f in _flags(request)) or "0"
    images = [
        (d.source, d.format)
        for d in spec.disks
        if d.source and d.source.startswith(DIRECTORY + "/") and d.type == "file"
    ]
    return f"""# reproduce on {uri} through the libvirt binding (python3 with python3-libvirt)
import os, subprocess
import libvirt

os.makedirs({DIRECTORY!r}, exist_ok=True)
for path, fmt in {images!r}:
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path, "64M"], check=True)
DOMAIN_XML = {domain_xml(spec, domain, setup.uuid, None)!r}
SNAPSHOT_XML = {xml!r}
conn = libvirt.open({uri!r})
dom = conn.defineXML(DOMAIN_XML)
try:
    if {state in (DomainState.RUNNING, DomainState.PAUSED)!r}:
        dom.create()
    if {state == DomainState.PAUSED!r}:
        dom.suspend()
    for doc in {existing!r}:
        dom.snapshotCreateXML(doc, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
    snap = dom.snapshotCreateXML(SNAPSHOT_XML, {flags})
    print(snap.getXMLDesc())
except libvirt.libvirtError as exc:
    print("rejected:", exc.get_error_code(), exc)
finally:
    if dom.isActive():
        dom.destroy()
    for snap in dom.listAllSnapshots():
        snap.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
    dom.undefine()
    subprocess.run(["rm", "-rf", {DIRECTORY!r}])
"""


def curl_command(request: Request, base_url: str) -> str:
    body = json.dumps(request_to_wire(request), indent=2, ensure_ascii=False)
    url = base_url.rstrip("/") + RUN_PATH
    return (
        _heredoc("request.json", body)
        + f"\ncurl -sS -X POST -H 'content-type: application/json' --data-binary @request.json "
        f"{shlex.quote(url)}\n"
    )


def python_call(request: Request, target: str) -> str:
    module, _, attr = target.partition(":")
    body = json.dumps(request_to_wire(request), indent=2, ensure_ascii=False)
    script = (
        "import importlib, json\n"
        f"impl = importlib.import_module({module!r})\n"
        f"for part in {[p for p in attr.split('.') if p]!r}:\n"
        "    impl = getattr(impl, part)\n"
        "print(json.dumps(impl.run(json.load(open('request.json'))), indent=2))\n"
    )
    return _heredoc("request.json", body) + "\npython3 - <<'PY'\n" + script + "PY\n"


def reproduction(connectable: str, request: Request, scratch: str | None = None) -> str | None:
    """The reproduction of ``request`` for ``connectable``; None for kinds it cannot say."""
    kind, _, target = connectable.partition(":")
    if kind == "virsh":
        from harness.adapters.virsh import default_uri

        return virsh_commands(request, target or default_uri(), scratch)
    if kind == "libvirt":
        from harness.adapters.virsh import default_uri

        return binding_script(request, target or default_uri(), scratch)
    if kind == "python-libvirt":
        module, _, uri = target.partition("@")
        script = binding_script(request, uri or "test:///default", scratch)
        return script.replace("import libvirt\n", f"import {module} as libvirt\n", 1)
    if kind in ("http", "https"):
        return curl_command(request, connectable)
    if kind == "python":
        return python_call(request, target)
    return None


__all__ = ["binding_script", "curl_command", "python_call", "reproduction", "virsh_commands"]
