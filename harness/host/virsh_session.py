"""One long-lived ``virsh`` shell, driven through its standard input.

virsh reads commands from standard input when started without one (it then runs as its
interactive shell, through readline: each command line is echoed after a ``virsh # `` prompt
on standard output). After each command the session sends two ``echo`` commands carrying a
marker, one with ``--err``, and reads each stream up to its marker: what lies before is the
command's answer. The marker is written ``SC''MK...`` (virsh's parser joins the quoted
pieces), so it is printed as ``SCMK...`` and the echoed command line never matches it.

The child runs in its own session (a Ctrl-C on the terminal does not reach it; the harness
needs it for cleanup) with ``LC_ALL=C`` (messages in English: they are matched by prefix).
When it dies or stops answering, the session is marked dead; :meth:`VirshSession.run`
raises :class:`~harness.host.errors.BackendDown` and the next call starts a new one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

from harness.host import trace
from harness.host.errors import BackendDown

PROMPTS = ("virsh # ", "virsh > ")
RECONNECTED = "error: Reconnected to the hypervisor"
DEFAULT_TIMEOUT = 60.0
#: Anything virsh's parser reads as one word without quoting.
_BARE = re.compile(r"^[A-Za-z0-9_./:@%+=,-]+$")


def quote(arg: str) -> str:
    """Quote one argument for virsh's command parser (shell-like single quotes)."""
    if "\n" in arg or "\r" in arg:
        raise ValueError(f"virsh cannot pass an argument with a line break: {arg!r}")
    if _BARE.match(arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


@dataclass(frozen=True)
class Reply:
    out: str
    err: str

    @property
    def error(self) -> str | None:
        """libvirt's message: the last ``error: `` block of standard error, if any."""
        # virsh's note that it reconnected (after a daemon restart) is not the command's error
        lines = [line for line in self.err.splitlines() if line != RECONNECTED]
        starts = [i for i, line in enumerate(lines) if line.startswith("error: ")]
        if not starts:
            return None
        block = lines[starts[-1] :]
        block[0] = block[0][len("error: ") :]
        return "\n".join(block).strip()


class VirshSession:
    def __init__(self, uri: str, *, virsh: str = "virsh", timeout: float = DEFAULT_TIMEOUT) -> None:
        self.uri = uri
        self.virsh = virsh
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._nonce = secrets.token_hex(4)
        self._count = 0
        self._out = b""
        self._err = b""
        self.started = 0  # how many virsh processes this session has started

    # ------------------------------------------------------------------ lifecycle

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        self.close()
        env = dict(os.environ, LC_ALL="C", LANG="C", TERM="dumb")
        env.pop("LANGUAGE", None)
        try:
            self._proc = subprocess.Popen(
                # not quiet (-q): snapshot-create then prints the name it gave the snapshot
                [self.virsh, "-c", self.uri],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise BackendDown(
                f"{self.virsh} is not installed (on Debian: apt-get install libvirt-clients)"
            ) from None
        except OSError as exc:
            raise BackendDown(f"cannot start {self.virsh}: {exc}") from exc
        self.started += 1
        self._out = self._err = b""
        for stream in (self._proc.stdout, self._proc.stderr):
            assert stream is not None
            os.set_blocking(stream.fileno(), False)
        self.run("echo ready")  # past the welcome banner a shell that is not quiet prints

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                try:
                    proc.stdin.write(b"quit\n")
                    proc.stdin.close()
                except OSError:
                    pass
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        finally:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    # ------------------------------------------------------------------ commands

    def run(self, command: str, timeout: float | None = None) -> Reply:
        """Run one command line; its standard output and standard error."""
        if "\n" in command:
            raise ValueError("one virsh command line at a time")
        if not self.alive():
            self.start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        self._count += 1
        began = time.time()
        said = f"SC''MK{self._nonce}x{self._count}"
        shown = f"SCMK{self._nonce}x{self._count}"
        try:
            try:
                proc.stdin.write(f"{command}\necho --err {said}\necho {said}\n".encode())
                proc.stdin.flush()
            except OSError as exc:
                raise BackendDown(f"virsh session ended ({exc}) before {command!r}") from exc
            out, err = self._read_until(
                shown, command, self.timeout if timeout is None else timeout
            )
        except BaseException:
            # interrupted mid-command (Ctrl-C, a timeout, a dead pipe): the streams are out of
            # step now, so this process is done; the next command starts a new one
            self.kill()
            raise
        reply = Reply(_strip_echo(out, command, said), err)
        if trace.enabled():
            words = trace.virsh_words(command)
            failed = reply.error is not None
            trace.record("virsh", words, began, time.time() - began, failed, reply.out)
        return reply

    def _read_until(self, shown: str, command: str, timeout: float) -> tuple[str, str]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None and proc.stderr is not None
        out_mark = shown.encode()
        err_mark = f"error: {shown}\n".encode()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, "out")
            sel.register(proc.stderr, selectors.EVENT_READ, "err")
            while out_mark not in self._out or err_mark not in self._err:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise BackendDown(f"virsh did not answer {command!r} within {timeout:g} s")
                for key, _ in sel.select(min(left, 1.0)):
                    stream = proc.stdout if key.data == "out" else proc.stderr
                    chunk = os.read(stream.fileno(), 65536)
                    if not chunk:
                        how = _ended(proc)
                        self.kill()
                        raise BackendDown(
                            f"virsh session ended ({how}) during {command!r}; "
                            f"stderr: {self._err.decode(errors='replace')[-500:]}"
                        )
                    if key.data == "out":
                        self._out += chunk
                    else:
                        self._err += chunk
        out, _, rest = self._out.partition(out_mark)
        self._out = rest
        err, _, rest = self._err.partition(err_mark)
        self._err = rest
        return out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")


def _ended(proc: subprocess.Popen[bytes]) -> str:
    """How the virsh process ended ("killed by SIGKILL", "exit status 1"), once it has."""
    try:
        code = proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        return "still running"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _strip_echo(out: str, command: str, said: str) -> str:
    """Drop readline's echo of the command line and of the two marker commands, and the
    empty line a shell that is not quiet prints after each command (the one after the last
    marker arrives ahead of the next command's answer)."""
    out = out.lstrip("\n")
    for prompt in PROMPTS:
        head = f"{prompt}{command}\n"
        if out.startswith(head):
            out = out[len(head) :]
            break
    for prompt in PROMPTS:
        tail = re.compile(
            rf"{re.escape(prompt)}echo --err {re.escape(said)}\n+"
            rf"{re.escape(prompt)}echo {re.escape(said)}\n$"
        )
        found = tail.search(out)
        if found:
            out = out[: found.start()]
            break
    if out.endswith("\n\n"):
        out = out[:-1]
    return out
