"""Run every third-party implementation under implementations/ through the suite.

Each folder with an ``implementation.json`` (see ``manifest.py``) is one implementation: it
is run with ``snapconform run --impl IMPL --expectations KNOWN --strict-expectations``, so
any change in its results (a new failure, or a known failure that now passes) fails.
A library that is not installed for this interpreter is skipped with the packages that
install it, or, with ``--require-installed`` (CI), fails.

    python implementations/run.py [--only NAME] [-n N] [--report-dir DIR] [--require-installed]
    python implementations/run.py --list
    python implementations/run.py --packages apt      # what .ci/run installs with apt-get
    python implementations/run.py --install pip       # pip-install the PyPI ones here
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from implementations.manifest import INSTALLERS, Implementation, discover  # noqa: E402


def installed(impl: Implementation) -> bool:
    done = subprocess.run([sys.executable, "-c", impl.probe], capture_output=True, check=False)
    return done.returncode == 0


def how_to_install(impl: Implementation) -> str:
    parts = [f"{kind} install {' '.join(pkgs)}" for kind, pkgs in impl.install.items()]
    return "; ".join(parts) or "see its README"


def environment(impl: Implementation) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(p) for p in impl.pythonpath] + [str(REPO)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def command(impl: Implementation, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "harness", "run", "--impl", impl.impl]
    cmd += ["--expectations", str(impl.known_failures), "--strict-expectations"]
    cmd += ["--report-dir", str(Path(args.report_dir).resolve()), "-q"]
    if args.n:
        cmd += ["-n", args.n]
    if args.k:
        cmd += ["-k", args.k]
    return cmd


def class_counts(results: Path) -> dict[str, dict[str, int]]:
    """Per class of one results.json: pass, known failures (listed and failing as listed),
    unexpected passes, other failures and errors (empty when unreadable)."""
    try:
        records = json.loads(results.read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    out: dict[str, dict[str, int]] = {}
    for record in records:
        for cls, status in (record.get("classes") or {}).items():
            if status == "not-applicable":
                continue
            if record.get("unexpected_pass"):
                status = "unexpected pass"
            elif record.get("known") and status in ("fail", "error"):
                status = "known failure"
            counts = out.setdefault(cls, {})
            counts[status] = counts.get(status, 0) + 1
    return out


def run_one(impl: Implementation, args: argparse.Namespace) -> tuple[int, Path | None]:
    report_dir = Path(args.report_dir).resolve()
    before = set(report_dir.glob("*/results.json"))
    print(f"=== {impl.name}: {' '.join(command(impl, args)[3:])}", flush=True)
    code = subprocess.call(command(impl, args), env=environment(impl), cwd=REPO)
    made = sorted(set(report_dir.glob("*/results.json")) - before)
    return code, (made[-1] if made else None)


def _summary_line(name: str, status: str, results: Path | None) -> str:
    line = f"{name}: {status}"
    for cls, counts in sorted(class_counts(results).items()) if results else ():
        known = counts.get("known failure", 0)
        line += f"; {cls} {counts.get('pass', 0)} pass, {known} known failures"
        rest = {k: v for k, v in counts.items() if k not in ("pass", "known failure")}
        line += "".join(f", {v} {k}" for k, v in sorted(rest.items()))
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="only this implementation (repeatable)")
    parser.add_argument("-n", help="parallel workers per run (pytest-xdist)")
    parser.add_argument("-k", help="only cases matching this expression (as snapconform run -k)")
    parser.add_argument("--root", default=str(HERE), help="the folder of implementations")
    parser.add_argument("--report-dir", default=str(REPO / "reports"))
    parser.add_argument(
        "--require-installed", action="store_true", help="a library not installed fails (CI)"
    )
    parser.add_argument("--list", action="store_true", help="list the implementations")
    parser.add_argument("--packages", choices=INSTALLERS, help="print the packages to install")
    parser.add_argument("--install", choices=["pip"], help="install the PyPI packages here")
    args = parser.parse_args(argv)

    impls = discover(Path(args.root))
    if args.only:
        unknown = set(args.only) - {i.name for i in impls}
        if unknown:
            parser.error(f"no implementation {', '.join(sorted(unknown))} under {args.root}")
        impls = [i for i in impls if i.name in args.only]
    if args.packages:
        print(" ".join(p for i in impls for p in i.install.get(args.packages, ())))
        return 0
    if args.install:
        pkgs = [p for i in impls for p in i.install.get("pip", ())]
        if not pkgs:
            return 0
        return subprocess.call([sys.executable, "-m", "pip", "install", "-q", *pkgs])
    if args.list:
        for impl in impls:
            state = "installed" if installed(impl) else f"absent ({how_to_install(impl)})"
            print(f"{impl.name}: {impl.impl}, classes {', '.join(impl.classes)}, {state}")
        return 0

    worst, lines = 0, []
    for impl in impls:
        if not installed(impl):
            status = "FAILED, not installed" if args.require_installed else "skipped"
            lines.append(f"{impl.name}: {status} ({how_to_install(impl)})")
            worst = max(worst, 1 if args.require_installed else 0)
            continue
        started = time.monotonic()
        code, results = run_one(impl, args)
        took = f"{time.monotonic() - started:.0f} s"
        status = f"as known ({took})" if code == 0 else f"CHANGED or failed, exit {code} ({took})"
        lines.append(_summary_line(impl.name, status, results))
        worst = max(worst, 0 if code == 0 else 1)
    print("=== implementations")
    print("\n".join(lines) or "no implementations")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
