"""The host parts of the ``snapconform`` command line: ``run`` options and ``cleanup``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness.host.backend import Backend
from harness.host.cleanup import cleanup_dead_runs
from harness.host.errors import BackendDown, LibvirtFailure
from harness.host.safety import DEFAULT_ROOT, is_private_uri

HOST_KINDS = ("virsh", "libvirt")


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--uri",
        help="libvirt URI for --impl virsh / libvirt (default $LIBVIRT_DEFAULT_URI, else "
        "test:///default); alone, it means --impl virsh:URI",
    )
    run.add_argument(
        "--allow-host",
        action="store_true",
        help="run on a libvirt host that holds domains of its own (docs/host.md)",
    )
    run.add_argument("--dry-run", action="store_true", help="virsh: print the commands, run none")


def impl_for(args: argparse.Namespace, default: str) -> str:
    """``--impl`` with ``--uri`` folded in (``virsh`` + ``--uri U`` -> ``virsh:U``)."""
    impl: str = args.impl
    uri = getattr(args, "uri", None)
    if not uri:
        return impl
    kind, _, target = impl.partition(":")
    if impl == default:
        return f"virsh:{uri}"
    if kind in HOST_KINDS and not target:
        return f"{kind}:{uri}"
    raise SystemExit(f"snapconform run: --uri goes with --impl virsh or libvirt, not {impl!r}")


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    out = []
    if getattr(args, "allow_host", False):
        out.append("--allow-host")
    if getattr(args, "dry_run", False):
        out += ["--dry-run", "-s"]  # the printed commands must show (not under -n)
    return out


def add_cleanup_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cln = sub.add_parser(
        "cleanup",
        help="remove what earlier (killed) runs left on a libvirt host and in the scratch root",
        description="Replays the journals of runs that are over (their lock is free), then "
        "removes any domain whose name and metadata name such a run. Never touches a domain "
        "a snapconform run did not create, nor one of a run still going.",
    )
    cln.add_argument(
        "--uri",
        default=os.environ.get("LIBVIRT_DEFAULT_URI") or "test:///default",
        help="libvirt URI (default $LIBVIRT_DEFAULT_URI, else test:///default)",
    )
    cln.add_argument(
        "--scratch-root",
        default=os.environ.get("SNAPCONFORM_SCRATCH_ROOT") or str(DEFAULT_ROOT),
        help=f"where runs keep their directories (default {DEFAULT_ROOT})",
    )
    cln.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")


def cleanup_main(args: argparse.Namespace) -> int:
    from harness.host.virsh_backend import VirshBackend

    root = Path(args.scratch_root)
    backend: Backend | None = None
    if not is_private_uri(args.uri):
        backend = VirshBackend(args.uri, root / ".cleanup")
    try:
        report = cleanup_dead_runs(backend, args.uri, root, dry_run=args.dry_run)
    except (LibvirtFailure, BackendDown) as exc:
        print(f"snapconform cleanup: cannot inspect {args.uri}: {exc}", file=sys.stderr)
        return 2
    finally:
        if backend is not None:
            backend.close()
    for line in report.removed:
        print(f"removed: {line}" if not line.startswith("would") else line)
    for line in report.skipped:
        print(f"skipped: {line}")
    for line in report.problems:
        print(f"problem: {line}", file=sys.stderr)
    if not report.removed and not report.problems:
        print(f"nothing to clean up on {args.uri} or under {root}")
    return 1 if report.problems else 0
