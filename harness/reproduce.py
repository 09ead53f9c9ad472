"""A copy-paste reproduction of one request, for the kind of implementation that answered it.

* ``virsh:URI``: shell commands: the domain XML and the snapshot XML written to files with
  here-documents, ``qemu-img create`` for the disk images, then define, start (and suspend),
  snapshot-create with the case's flags, snapshot-dumpxml, and the cleanup;
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

from harness.contract import DomainState, Operation, Request, request_to_wire
from harness.host.binding import _SNAPSHOT_FLAGS
from harness.host.domains import DomainSpec, domain_xml
from harness.http import RUN_PATH
from harness.xmlsafe import XmlError, parse_xml

DOMAIN = "snapconform-repro"
DIRECTORY = "/var/tmp/snapconform-repro"


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


def _spec(request: Request, scratch: str | None) -> tuple[DomainSpec, DomainState, str | None]:
    ctx = request.context
    if ctx is None:  # a syntax case: the document is redefined on a shut-off domain
        return DomainSpec(disks=()), DomainState.SHUTOFF, None
    disks = tuple(
        d if d.source is None else type(d)(**{**d.__dict__, "source": _relocate(d.source, scratch)})
        for d in ctx.disks
    )
    return DomainSpec(disks=disks, persistent=ctx.persistent), ctx.state, ctx.uuid


def virsh_commands(
    request: Request, uri: str, scratch: str | None = None, domain: str = DOMAIN
) -> str:
    spec, state, uuid = _spec(request, scratch)
    c = f"virsh -c {shlex.quote(uri)}"
    xml = _relocate(request.xml, scratch)
    lines = [
        f"# reproduce on {uri}: domain {domain}, files in {DIRECTORY} (cleaned up at the end)",
        f"mkdir -p {DIRECTORY} && cd {DIRECTORY}",
    ]
    for disk in spec.disks:
        if disk.source and disk.source.startswith(DIRECTORY + "/") and disk.type == "file":
            lines.append(f"qemu-img create -q -f {disk.format} {shlex.quote(disk.source)} 64M")
    lines.append(_heredoc("domain.xml", domain_xml(spec, domain, uuid, None)))
    if request.context is not None:
        for number, doc in enumerate(request.context.existing, 1):
            lines.append(_heredoc(f"existing-{number}.xml", _relocate(doc, scratch)))
    lines.append(_heredoc("snapshot.xml", xml))
    lines.append(f"{c} define domain.xml")
    if state in (DomainState.RUNNING, DomainState.PAUSED):
        lines.append(f"{c} start {domain}")
    if state == DomainState.PAUSED:
        lines.append(f"{c} suspend {domain}")
    if request.context is not None:
        for number, _ in enumerate(request.context.existing, 1):
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
    spec, state, uuid = _spec(request, scratch)
    xml = _relocate(request.xml, scratch)
    existing = [
        _relocate(d, scratch) for d in (request.context.existing if request.context else ())
    ]
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
DOMAIN_XML = {domain_xml(spec, domain, uuid, None)!r}
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
