"""``snapconform serve``: expose any adapter over the HTTP contract (uvicorn).

Listens on loopback unless told otherwise; any other address requires a token
(``SNAPCONFORM_HTTP_TOKEN`` or ``--token-file``). Once listening it prints one line,
``snapconform serve: <name> <version> (<connectable>) at <url>``, on stdout: scripts read the
URL from it (with ``--port 0`` the port is a free one).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from pathlib import Path

from harness.adapters.base import AdapterError
from harness.connectables import DEFAULT_CONNECTABLE, connect
from harness.http import TOKEN_ENV

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
READY_PREFIX = "snapconform serve: "


class ServeError(Exception):
    """The server cannot start (message for the user)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--impl",
        default=DEFAULT_CONNECTABLE,
        help=f"KIND:TARGET to serve (default {DEFAULT_CONNECTABLE})",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)"
    )
    parser.add_argument(
        "--token-file", help=f"file holding the bearer token clients must send (else ${TOKEN_ENV})"
    )
    parser.add_argument("--timeout", type=float, help="seconds one request may take (default 30)")
    parser.add_argument("--tls-cert", help="PEM certificate (chain): serve https")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level (info shows each request; never headers)",
    )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(token_file: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The token from ``--token-file`` or the environment; :class:`ServeError` if unusable."""
    env = os.environ if environ is None else environ
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServeError(f"cannot read the token file {token_file}: {exc}") from None
        if not token:
            raise ServeError(f"the token file {token_file} is empty")
    else:
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            return None
    if any(c.isspace() for c in token) or not token.isprintable():
        raise ServeError("the token must be one word of printable characters")
    return token


def check_bind(host: str, token: str | None) -> None:
    if token is None and not is_loopback(host):
        raise ServeError(
            f"refusing to listen on {host} without a token: anyone who reaches it could use "
            f"it. Set {TOKEN_ENV} or --token-file (and prefer --tls-cert/--tls-key), or bind "
            "a loopback address"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (bound before uvicorn starts, so ``--port 0`` can be announced)."""
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ServeError(f"cannot resolve {host}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket, tls: bool) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from harness.http.server import create_app
    except ImportError as exc:
        print(
            f"snapconform serve needs the http extra ({exc}): pip install 'snapconform[http]'",
            file=sys.stderr,
        )
        return 2
    try:
        token = resolve_token(args.token_file)
        check_bind(args.host, token)
        if bool(args.tls_cert) != bool(args.tls_key):
            raise ServeError("--tls-cert and --tls-key go together")
        adapter = connect(args.impl, timeout=args.timeout)
        identity = adapter.identify()
        sock = bind(args.host, args.port)
    except (ServeError, AdapterError) as exc:
        print(f"snapconform serve: {exc}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        create_app(adapter, token=token),
        log_level=args.log_level,
        server_header=False,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        timeout_graceful_shutdown=5,
    )
    url = url_of(sock, tls=bool(args.tls_cert))
    print(f"{READY_PREFIX}{identity.name} {identity.version} ({args.impl}) at {url}", flush=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        adapter.close()
    return 0


__all__ = [
    "ServeError",
    "add_arguments",
    "bind",
    "check_bind",
    "is_loopback",
    "resolve_token",
    "serve",
]
