"""``tox -e http``: the conformance suite over HTTP.

Against ``$SNAPCONFORM_HTTP_URL`` when it is set; otherwise it starts
``snapconform serve --impl IMPL --port 0`` (IMPL: ``--serve-impl``, default the reference
implementation), waits until ``/v1/identify`` answers, runs the suite against it and stops it::

    python -m harness.http.suite [--serve-impl KIND:TARGET] [snapconform run options]
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import IO

from harness.connectables import DEFAULT_CONNECTABLE
from harness.http import IDENTIFY_PATH, URL_ENV
from harness.http.client import ClientSettings, EndpointError, JsonClient
from harness.http.serve import READY_PREFIX

_URL = re.compile(r" at (https?://\S+)$")


class ServerFailed(RuntimeError):
    """The served endpoint did not come up."""


def wait_ready(
    url: str, *, timeout: float = 30.0, environ: Mapping[str, str] | None = None
) -> None:
    """Poll ``GET /v1/identify`` until it answers; :class:`ServerFailed` after ``timeout``."""
    settings = ClientSettings.from_env(environ, timeout=5.0)
    client = JsonClient(url, settings)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.get(IDENTIFY_PATH)
                return
            except EndpointError as exc:
                if time.monotonic() > deadline:
                    raise ServerFailed(
                        f"{url} did not answer within {timeout:g} s: {exc}"
                    ) from None
                time.sleep(0.1)
    finally:
        client.close()


def _pump(
    stream: IO[str], lines: queue.Queue[str | None], kept: list[str], echo: IO[str] | None
) -> None:
    for line in stream:
        kept.append(line)
        lines.put(line)
        if echo is not None:
            echo.write(f"[serve] {line}")
            echo.flush()
    lines.put(None)


class ServedEndpoint:
    """``snapconform serve`` in a subprocess, as a context manager giving its URL."""

    def __init__(
        self,
        impl: str,
        *,
        host: str = "127.0.0.1",
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
        echo: IO[str] | None = None,
    ) -> None:
        self.command = [
            sys.executable, "-m", "harness", "serve", "--impl", impl, "--host", host,
            "--port", "0", *args,
        ]  # fmt: skip
        self.env = dict(os.environ if env is None else env)
        self.startup_timeout = startup_timeout
        self.echo = echo
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        #: everything the server printed (stdout and stderr), as it arrives
        self.output: list[str] = []

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(
            target=_pump, args=(self.process.stdout, lines, self.output, self.echo), daemon=True
        ).start()
        try:
            self.url = self._announced(lines)
            wait_ready(self.url, timeout=self.startup_timeout, environ=self.env)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _announced(self, lines: queue.Queue[str | None]) -> str:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise ServerFailed(
                    f"snapconform serve did not start within {self.startup_timeout:g} s"
                ) from None
            if line is None:
                raise ServerFailed("snapconform serve exited:\n" + "".join(self.output))
            found = _URL.search(line.rstrip())
            if line.startswith(READY_PREFIX) and found:
                return found.group(1)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_suite(url: str, args: Sequence[str]) -> int:
    """``snapconform run --impl URL ARGS`` in a subprocess (its own pytest, its own imports)."""
    command = [sys.executable, "-m", "harness", "run", "--impl", url, *args]
    return subprocess.run(command, stdin=subprocess.DEVNULL, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.http.suite",
        description=f"Run the conformance suite over HTTP: against ${URL_ENV}, or against "
        "a server started here. Other arguments go to `snapconform run`.",
    )
    parser.add_argument(
        "--serve-impl",
        default=DEFAULT_CONNECTABLE,
        help=f"what the started server serves (default {DEFAULT_CONNECTABLE})",
    )
    args, rest = parser.parse_known_args(argv)
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        print(f"http suite: testing {url} (from {URL_ENV})", flush=True)
        return run_suite(url, rest)
    try:
        with ServedEndpoint(args.serve_impl, echo=sys.stderr) as served:
            print(f"http suite: serving {args.serve_impl} at {served}", flush=True)
            return run_suite(served, rest)
    except ServerFailed as exc:
        print(f"http suite: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
