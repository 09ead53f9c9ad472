"""The host protocol over a virsh shell session (or, with ``dry_run``, printed only)."""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from harness.contract import View
from harness.host.backend import DomainRef, HostInfo, Made, driver_name
from harness.host.errors import (
    VIRSH_REDEFINE_HALT,
    BackendDown,
    LibvirtFailure,
    code_for_message,
)
from harness.host.virsh_session import Reply, VirshSession, quote

_CREATED = re.compile(r"^Domain snapshot (.+?) created(?: from '.*')?\s*$", re.MULTILINE)
#: virsh's words when it has no connection (the command was not sent: safe to repeat)
_UNREACHABLE = re.compile(
    r"^(Failed to connect socket|failed to connect to the hypervisor|no valid connection)",
    re.MULTILINE,
)
#: ... and when the connection broke during a command (its effect is unknown)
_LOST = re.compile(
    r"^(Disconnected from .* due to|End of file while reading data|"
    r"internal error: client socket is closed|Cannot (write|recv) data)",
    re.MULTILINE,
)
#: how long a command waits for a daemon that does not answer (a restart takes ~1-2 s)
RECONNECT_SECONDS = 30.0
_NAME = re.compile(r"<name>([^<]+)</name>")
_UUID = re.compile(r"<uuid>([^<]+)</uuid>")
_VERSION = {
    "client": re.compile(r"^Using library: libvirt (\S+)", re.MULTILINE),
    "daemon": re.compile(r"^Running against daemon: (\S+)", re.MULTILINE),
    "api": re.compile(r"^Using API: (\S+) (\S+)", re.MULTILINE),
    "hypervisor": re.compile(r"^Running hypervisor: (\S+) (\S+)", re.MULTILINE),
}


def _printer(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class VirshBackend:
    """Commands address domains by UUID; XML goes through files in ``workdir``."""

    def __init__(
        self,
        uri: str,
        workdir: Path,
        *,
        virsh: str = "virsh",
        timeout: float = 60.0,
        dry_run: bool = False,
        echo: Callable[[str], None] = _printer,
    ) -> None:
        self.uri = uri
        self.ephemeral = uri.startswith("test:")
        self.workdir = workdir
        self.session = VirshSession(uri, virsh=virsh, timeout=timeout)
        self.virsh = virsh
        self.dry_run = dry_run
        #: a dry run where virsh is not installed: the read-only commands are printed too,
        #: and answered as by a host with nothing on it
        self.offline = dry_run and shutil.which(virsh) is None
        self._echo = echo
        self._files = 0
        self._dry_states: dict[str, str] = {}
        self._dry_domains: dict[str, str] = {}  # uuid -> name of what a dry run defined
        self._dry_transient: set[str] = set()
        self._dry_pools: dict[str, str] = {}  # uuid -> name of the pools a dry run defined
        self.reconnect_seconds = RECONNECT_SECONDS

    # ------------------------------------------------------------------ plumbing

    def _run(self, *words: str, mutates: bool = False) -> str:
        line = " ".join(quote(w) for w in words)
        if self.dry_run and (mutates or self.offline):
            self._echo(f"virsh -c {self.uri} {line}")
            return ""
        deadline = time.monotonic() + self.reconnect_seconds
        pause = 0.2
        while True:
            reply: Reply = self.session.run(line)
            message = reply.error
            if message is None:
                return reply.out
            if _LOST.search(message):
                # the daemon went away mid-command: whether the command took effect is
                # unknown, so it is not repeated; the case errors, its fixture is re-checked
                raise BackendDown(f"connection to {self.uri} lost during {words[0]}: {message}")
            if not _UNREACHABLE.search(message) or time.monotonic() + pause > deadline:
                break
            # no connection, so the command never reached libvirt: wait for the daemon
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        if _UNREACHABLE.search(message):
            raise BackendDown(
                f"{self.uri} did not answer for {self.reconnect_seconds:g} s: {message}"
            )
        raise LibvirtFailure(message, code_for_message(message))

    def _file(self, xml: str, what: str) -> str:
        self._files += 1
        path = self.workdir / f"{what}-{self._files}.xml"
        if self.dry_run:
            self._echo(f"# write {path} ({len(xml)} characters)")
        else:
            self.workdir.mkdir(parents=True, exist_ok=True)
            path.write_text(xml, encoding="utf-8")
        return str(path)

    # ------------------------------------------------------------------ protocol

    def info(self) -> HostInfo:
        # --daemon adds the version of the libvirt that answers (for a driver inside the
        # client library, like test:///, the client's own); "Using library" is virsh's
        text = self._run("version", "--daemon")
        found = {k: rx.search(text) for k, rx in _VERSION.items()}
        api, hyp, client, daemon = (found[k] for k in ("api", "hypervisor", "client", "daemon"))
        uri = self._run("uri").strip() or self.uri
        if self.offline:
            # no virsh to ask: the driver is the URI's, the versions are not known
            return HostInfo(
                driver=driver_name(uri.partition(":")[0].partition("+")[0].upper()),
                libvirt="unknown (dry run without virsh)",
                hypervisor="unknown",
                uri=uri,
                client="none",
            )
        return HostInfo(
            driver=driver_name(api.group(1)) if api else "unknown",
            libvirt=daemon.group(1) if daemon else "unknown",
            hypervisor=hyp.group(2) if hyp else "unknown",
            uri=uri,
            client=client.group(1) if client else "unknown",
            command=None if self.virsh == "virsh" else self.virsh,
        )

    def fresh(self) -> None:
        if not self.dry_run:
            self.session.start()
        self._dry_states.clear()
        self._dry_domains.clear()

    def list_domains(self) -> list[DomainRef]:
        uuids = [u.strip() for u in self._run("list", "--all", "--uuid").splitlines() if u.strip()]
        refs = []
        for uuid in uuids:
            name = self.domain_name(uuid)
            if name is not None:
                refs.append(DomainRef(name, uuid))
        return refs

    def domain_name(self, uuid: str) -> str | None:
        if self.dry_run and uuid in self._dry_domains:
            return self._dry_domains[uuid]  # defined by this dry run: exists as far as it knows
        try:
            return self._run("domname", uuid).strip() or None
        except LibvirtFailure as exc:
            # virsh's own words when no lookup (by UUID, id or name) finds the domain
            if exc.code == "VIR_ERR_NO_DOMAIN" or exc.message.startswith("failed to get domain"):
                return None
            raise

    def domain_xml(self, uuid: str, inactive: bool = False) -> str:
        return self._run("dumpxml", uuid, *(["--inactive"] if inactive else []))

    def domain_state(self, uuid: str) -> str:
        if self.dry_run:
            return self._dry_states.get(uuid, "shutoff")
        return self._run("domstate", uuid).strip().replace("shut off", "shutoff")

    def define(self, xml: str) -> None:
        self._run("define", self._file(xml, "domain"), mutates=True)
        self._dry_define(xml, None)

    def create_transient(self, xml: str, paused: bool) -> None:
        path = self._file(xml, "domain")
        self._run("create", path, *(["--paused"] if paused else []), mutates=True)
        self._dry_define(xml, "paused" if paused else "running")

    def _dry_define(self, xml: str, state: str | None) -> None:
        """A dry run remembers the domains it would have made, so that it prints the same
        commands as a real run (reuse, state changes, destroy and undefine at the end)."""
        if not self.dry_run:
            return
        name, uuid = _NAME.search(xml), _UUID.search(xml)
        if name and uuid:
            self._dry_domains[uuid.group(1)] = name.group(1)
            if state is None:
                self._dry_states.setdefault(uuid.group(1), "shutoff")
            else:
                self._dry_states[uuid.group(1)] = state
                self._dry_transient.add(uuid.group(1))

    def start(self, uuid: str, paused: bool) -> None:
        self._run("start", uuid, *(["--paused"] if paused else []), mutates=True)
        self._dry_states[uuid] = "paused" if paused else "running"

    def suspend(self, uuid: str) -> None:
        self._run("suspend", uuid, mutates=True)
        self._dry_states[uuid] = "paused"

    def resume(self, uuid: str) -> None:
        self._run("resume", uuid, mutates=True)
        self._dry_states[uuid] = "running"

    def destroy(self, uuid: str) -> None:
        self._run("destroy", uuid, mutates=True)
        self._dry_states[uuid] = "shutoff"
        if uuid in self._dry_transient:
            self._dry_domains.pop(uuid, None)

    def undefine(self, uuid: str) -> None:
        self._run("undefine", uuid, "--snapshots-metadata", mutates=True)
        self._dry_domains.pop(uuid, None)

    def snapshot_create(self, uuid: str, xml: str, flags: tuple[str, ...]) -> Made:
        if "redefine" in flags and "halt" in flags:
            raise LibvirtFailure(VIRSH_REDEFINE_HALT)
        path = self._file(xml, "snapshot")
        out = self._run("snapshot-create", uuid, path, *(f"--{f}" for f in flags), mutates=True)
        if self.dry_run:
            return Made(None)
        found = _CREATED.search(out)
        name = found.group(1) if found else None
        return Made(name, (View("virsh snapshot-create (the name it printed)", name),))

    def snapshot_xml(self, uuid: str, name: str) -> str:
        if self.dry_run:
            self._echo(f"virsh -c {self.uri} snapshot-dumpxml {uuid} {quote(name)}")
            return f"<domainsnapshot><name>{name}</name></domainsnapshot>"
        return self._run("snapshot-dumpxml", uuid, name)

    def current_snapshot_xml(self, uuid: str) -> str:
        if self.dry_run:
            self._echo(f"virsh -c {self.uri} snapshot-current {uuid}")
            return "<domainsnapshot><name>dry-run</name></domainsnapshot>"
        return self._run("snapshot-current", uuid)

    def current_view(self, uuid: str) -> View:
        source = "virsh snapshot-current --name"
        if self.dry_run:
            self._echo(f"virsh -c {self.uri} snapshot-current {uuid} --name")
            return View(source, "dry-run")
        try:
            name = self._run("snapshot-current", uuid, "--name").strip()
        except LibvirtFailure as exc:
            if "has no current snapshot" in exc.message:
                return View(source)
            raise
        return View(source, name or None)

    def list_view(self, uuid: str, name: str) -> View:
        source = "virsh snapshot-list --name"
        listed = name in self.snapshot_names(uuid) or self.dry_run
        return View(source, name) if listed else View(source)

    def snapshot_names(self, uuid: str) -> list[str]:
        if self.dry_run:
            return []
        out = self._run("snapshot-list", uuid, "--name")
        return [line for line in out.splitlines() if line.strip()]

    def snapshot_delete(self, uuid: str, name: str, metadata_only: bool) -> None:
        extra = ["--metadata"] if metadata_only else []
        self._run("snapshot-delete", uuid, name, *extra, mutates=True)

    # ------------------------------------------------------------------ storage

    def list_pools(self) -> list[DomainRef]:
        out = self._run("pool-list", "--all", "--uuid")
        refs = []
        for uuid in (u.strip() for u in out.splitlines() if u.strip()):
            name = self.pool_name(uuid)
            if name is not None:
                refs.append(DomainRef(name, uuid))
        return refs

    def pool_name(self, uuid: str) -> str | None:
        if self.dry_run and uuid in self._dry_pools:
            return self._dry_pools[uuid]
        try:
            return self._run("pool-name", uuid).strip() or None
        except LibvirtFailure as exc:
            if "failed to get pool" in exc.message or "Storage pool not found" in exc.message:
                return None
            raise

    def pool_xml(self, uuid: str) -> str:
        if self.dry_run:
            return ""
        return self._run("pool-dumpxml", uuid)

    def pool_active(self, uuid: str) -> bool:
        if self.dry_run:
            return uuid in self._dry_pools
        info = self._run("pool-info", uuid)
        state = re.search(r"^State:\s*(\S+)", info, re.MULTILINE)
        return state is not None and state.group(1) in ("running", "building", "degraded")

    def pool_define(self, xml: str) -> None:
        self._run("pool-define", self._file(xml, "pool"), mutates=True)
        name, uuid = _NAME.search(xml), _UUID.search(xml)
        if self.dry_run and name and uuid:
            self._dry_pools[uuid.group(1)] = name.group(1)

    def pool_build(self, uuid: str) -> None:
        self._run("pool-build", uuid, mutates=True)

    def pool_start(self, uuid: str) -> None:
        self._run("pool-start", uuid, mutates=True)

    def pool_refresh(self, uuid: str) -> None:
        self._run("pool-refresh", uuid, mutates=True)

    def pool_destroy(self, uuid: str) -> None:
        self._run("pool-destroy", uuid, mutates=True)

    def pool_delete(self, uuid: str) -> None:
        self._run("pool-delete", uuid, mutates=True)

    def pool_undefine(self, uuid: str) -> None:
        self._run("pool-undefine", uuid, mutates=True)
        self._dry_pools.pop(uuid, None)

    def vol_create(self, pool: str, name: str, fmt: str, capacity: str) -> None:
        self._run("vol-create-as", pool, name, capacity, "--format", fmt, mutates=True)

    def vol_paths(self, pool: str) -> dict[str, str]:
        if self.dry_run:
            return {}
        out = self._run("vol-list", pool)
        # a table: " Name   Path", dashes, then rows padded so that every path starts in
        # the header's "Path" column (names and paths may hold spaces)
        rows = out.splitlines()
        header = next((r for r in rows if r.strip()), "")
        column = header.find(" Path")
        paths: dict[str, str] = {}
        if column < 0:
            return paths
        for line in rows[rows.index(header) + 2 :]:
            name, path = line[: column + 1].strip(), line[column + 1 :].strip()
            if name and path:
                paths[name] = path
        return paths

    def vol_delete(self, pool: str, name: str) -> None:
        self._run("vol-delete", name, "--pool", pool, mutates=True)

    def vol_read(self, pool: str, name: str, offset: int, length: int) -> bytes:
        if self.dry_run:
            return b""
        self._files += 1
        target = self.workdir / f"volume-{self._files}.bin"
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._run(
                "vol-download", name, str(target), "--pool", pool,
                "--offset", str(offset), "--length", str(length),
            )  # fmt: skip
            return target.read_bytes()
        except FileNotFoundError:
            return b""
        finally:
            target.unlink(missing_ok=True)

    def twin(self) -> VirshBackend:
        """Another backend on the same URI with a session of its own (for another thread)."""
        return VirshBackend(
            self.uri,
            self.workdir,
            virsh=self.session.virsh,
            timeout=self.session.timeout,
            dry_run=self.dry_run,
            echo=self._echo,
        )

    def close(self) -> None:
        self.session.close()
