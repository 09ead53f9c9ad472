"""Host safety: options, the refusal rules, ownership and path checks.

* A run only ever touches objects it created: domains carry the run's name prefix and a
  ``<metadata>`` element naming the run, are journaled before they are created, and are
  addressed by UUID; before any destructive step the UUID must still name that domain.
* Files live under the run's scratch directory; a request that would make libvirt write
  elsewhere is refused before it reaches libvirt.
* A run does not start while an earlier run left something behind, nor against a host that
  holds domains of its own (a production-looking host) without ``--allow-host``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from harness.adapters.base import AdapterError
from harness.host.backend import Backend
from harness.host.journal import OWNED_NAME, RunDir, lock_held, runs_under, stale_partials
from harness.xmlsafe import XmlError, parse_xml

DEFAULT_ROOT = Path("/var/tmp/snapconform")
#: namespace of the <metadata> child that marks a domain as a snapconform run's
METADATA_NS = "https://snapconform.invalid/host/1"
_TRUE = {"1", "yes", "true", "on"}


class SafetyError(AdapterError):
    """The run must not start (or go on): the text says why and what to do."""


@dataclass(frozen=True)
class HostOptions:
    allow_host: bool = False
    dry_run: bool = False
    root: Path = DEFAULT_ROOT
    #: "reset" (reuse a fixture domain between cases) or "recreate" (a new one each case)
    fixture: str = "reset"
    virsh: str = "virsh"
    timeout: float = 60.0
    #: "auto" (a storage pool on remote URIs, local files otherwise), "pool" or "local"
    storage: str = "auto"
    #: on a host reached through the pool: the directory the pool's directory is made in
    remote_dir: Path = Path("/var/tmp")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> HostOptions:
        """Options as ``snapconform run`` / the pytest plugin pass them (environment, so
        that xdist workers see them too)."""
        env = dict(os.environ) if env is None else env
        fixture = env.get("SNAPCONFORM_FIXTURE", "reset")
        if fixture not in ("reset", "recreate"):
            raise AdapterError(f"SNAPCONFORM_FIXTURE must be reset or recreate, not {fixture!r}")
        storage = env.get("SNAPCONFORM_STORAGE", "auto")
        if storage not in ("auto", "pool", "local"):
            raise AdapterError(f"SNAPCONFORM_STORAGE must be auto, pool or local, not {storage!r}")
        return cls(
            storage=storage,
            remote_dir=Path(env.get("SNAPCONFORM_REMOTE_DIR") or "/var/tmp"),
            allow_host=env.get("SNAPCONFORM_ALLOW_HOST", "").lower() in _TRUE,
            dry_run=env.get("SNAPCONFORM_DRY_RUN", "").lower() in _TRUE,
            root=Path(env.get("SNAPCONFORM_SCRATCH_ROOT") or DEFAULT_ROOT),
            fixture=fixture,
            virsh=env.get("SNAPCONFORM_VIRSH", "virsh"),
            timeout=float(env.get("SNAPCONFORM_HOST_TIMEOUT", "60")),
        )


def is_private_uri(uri: str) -> bool:
    """The test driver without a daemon: state lives in the client process only."""
    return uri.startswith("test:")


# --------------------------------------------------------------------------- ownership


def metadata_element(run: RunDir) -> str:
    return (
        f'<sc:run xmlns:sc="{METADATA_NS}" id="{run.run_id}" root="{run.root}" '
        f'pid="{os.getpid()}"/>'
    )


def run_of_domain_xml(xml: str) -> tuple[str, Path] | None:
    """(run id, scratch root) from a domain definition's snapconform metadata, if any."""
    try:
        root = parse_xml(xml, what="domain XML")
    except XmlError:
        return None
    for el in root.iterfind(f"metadata/{{{METADATA_NS}}}run"):
        run_id, run_root = el.get("id"), el.get("root")
        if run_id and run_root:
            return run_id, Path(run_root)
    return None


def owned_run(backend: Backend, name: str, uuid: str) -> tuple[str, Path] | None:
    """The run a domain belongs to, if both its name and its metadata say it is ours."""
    match = OWNED_NAME.match(name)
    if match is None:
        return None
    try:
        found = run_of_domain_xml(backend.domain_xml(uuid, inactive=True))
    except Exception:
        return None
    if found is None or found[0] != match.group(1):
        return None
    return found


def run_is_live(run_id: str, root: Path) -> bool:
    return lock_held(root / run_id / "lock")


def verify_owned(backend: Backend, uuid: str, name: str) -> None:
    """Refuse a destructive step unless ``uuid`` still names the domain ``name`` we made."""
    now = backend.domain_name(uuid)
    if now != name or OWNED_NAME.match(name) is None:
        raise SafetyError(
            f"refusing to touch domain {uuid}: it is named {now!r}, not {name!r} as journaled"
        )


# --------------------------------------------------------------------------- refusals


@dataclass(frozen=True)
class Leftovers:
    runs: tuple[RunDir, ...]  # dead run directories under the scratch root
    domains: tuple[tuple[str, str], ...]  # (name, uuid) of dead runs' domains on the host
    partials: tuple[Path, ...]

    def __bool__(self) -> bool:
        return bool(self.runs or self.domains or self.partials)

    def describe(self) -> str:
        lines = [f"  run directory {r.path}" for r in self.runs]
        lines += [f"  domain {n} ({u})" for n, u in self.domains]
        lines += [f"  half-made run directory {p}" for p in self.partials]
        return "\n".join(lines)


def find_leftovers(backend: Backend | None, root: Path) -> Leftovers:
    """What earlier runs that are over (normally or killed) left behind."""
    runs = tuple(r for r in runs_under(root) if not r.is_live())
    domains: list[tuple[str, str]] = []
    if backend is not None and not is_private_uri(backend.uri):
        for ref in backend.list_domains():
            owner = owned_run(backend, ref.name, ref.uuid)
            if owner is not None and not run_is_live(*owner):
                domains.append((ref.name, ref.uuid))
    return Leftovers(runs, tuple(domains), tuple(stale_partials(root)))


def foreign_domains(backend: Backend) -> list[str]:
    """Domains on the host that no snapconform run made (live or dead)."""
    return [
        ref.name for ref in backend.list_domains() if owned_run(backend, ref.name, ref.uuid) is None
    ]


def check_can_start(backend: Backend, options: HostOptions) -> None:
    """Refuse leftovers of earlier runs, and a production-looking host without allow_host."""
    leftovers = find_leftovers(backend, options.root)
    if leftovers:
        raise SafetyError(
            "an earlier snapconform run left these behind:\n"
            + leftovers.describe()
            + f"\nremove them with: snapconform cleanup --uri {backend.uri}"
            + (f" --scratch-root {options.root}" if options.root != DEFAULT_ROOT else "")
        )
    if is_private_uri(backend.uri) or options.allow_host:
        return
    foreign = foreign_domains(backend)
    if foreign:
        shown = ", ".join(sorted(foreign)[:10]) + (" ..." if len(foreign) > 10 else "")
        raise SafetyError(
            f"{backend.uri} holds {len(foreign)} domain(s) snapconform did not create "
            f"({shown}): it looks like a host in use. snapconform only ever touches its own "
            "domains, but refuses such a host unless --allow-host is given."
        )


# --------------------------------------------------------------------------- paths


_PATH_ATTRS = (("memory", "file"), ("source", "file"), ("source", "dev"), ("source", "dir"))


def paths_outside(xml: str, scratch: Path) -> list[str]:
    """Absolute paths a snapshot document asks libvirt to write that are not under
    ``scratch`` (memory files, disk overlays), and network sources. Relative or empty paths
    are left to libvirt, which rejects them when parsing."""
    try:
        root = parse_xml(xml, what="snapshot XML")
    except XmlError:
        return []
    bad: list[str] = []
    base = os.path.normpath(scratch)
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("domain", "inactiveDomain"):
            continue
        if _in_domain(el):
            continue
        for tag, attr in _PATH_ATTRS:
            value = el.get(attr) if el.tag == tag else None
            if value and value.startswith("/"):
                norm = os.path.normpath(value)
                if not (norm == base or norm.startswith(base + "/")):
                    bad.append(value)
        if el.tag == "source" and el.get("protocol"):
            bad.append(f"{el.get('protocol')}:{el.get('name', '')}")
    return bad


def _in_domain(el: etree._Element) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent.tag in ("domain", "inactiveDomain"):
            return True
        parent = parent.getparent()
    return False
