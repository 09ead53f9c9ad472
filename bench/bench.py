#!/usr/bin/env python3
"""Benchmark of a run's cost, printed as ratios (not a timed test; see README, Performance).

    python bench/bench.py [--uri qemu:///system] [--quick]

On test:///default and the reference (always):
* growth: the corpus cases x1, x4, x16 (copies under new ids); time per case should stay flat;
* virsh against the binding against the reference, same cases.
On a real host (``--uri``, a libvirtd; skipped when it does not answer):
* provisions and destroys per run against the distinct fixtures of the selection (the
  harness's own counters, SNAPCONFORM_HOST_STATS), one worker and two;
* ``-n 2`` against ``-n 1``; both runs' verdicts must be identical case by case;
* the physical floor: the ``-n 1`` run's needed host operations replayed bare
  (``bench/floor.py``) against that run's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from floor import floor  # noqa: E402  (bench/ is not a package)

from harness.host.trace import ENV as TRACE_ENV  # noqa: E402


def run(impl: str, tmp: Path, *extra: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """One ``snapconform run``: wall seconds, verdicts by case, host stats lines."""
    reports = Path(tempfile.mkdtemp(dir=tmp, prefix="reports-"))
    stats = reports / "stats.jsonl"
    full_env = dict(os.environ, SNAPCONFORM_HOST_STATS=str(stats), **(env or {}))
    full_env.setdefault("SNAPCONFORM_SCRATCH_ROOT", str(tmp / "scratch-root"))
    args = [sys.executable, "-m", "harness", "run", "--impl", impl, "-q"]
    args += ["--report-dir", str(reports), *extra, "--", "-p", "no:cacheprovider"]
    started = time.monotonic()
    proc = subprocess.run(args, env=full_env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    found = sorted(reports.glob("*/results.json"))
    if not found:
        sys.exit(
            f"{impl} {' '.join(extra)}: no results (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
        )
    data = json.loads(found[-1].read_text())
    lines = stats.read_text().splitlines() if stats.exists() else []
    return {
        "wall": wall,
        "verdicts": {r["id"]: r["status"] for r in data["results"]},
        "complete": data["footer"]["complete"],
        "stats": [json.loads(line) for line in lines],
    }


def copies(tmp: Path, times: int) -> Path:
    """The bundled corpus with every case folder copied ``times`` times (new ids)."""
    src = REPO / "corpus"
    dst = tmp / f"corpus-x{times}"
    if dst.exists():
        return dst
    shutil.copytree(src, dst)
    for case in sorted((src / "cases").iterdir()):
        for i in range(1, times):
            shutil.copytree(case, dst / "cases" / f"{case.name}-copy{i}")
    return dst


def per_case(result: dict[str, object]) -> float:
    verdicts = result["verdicts"]
    assert isinstance(verdicts, dict)
    return float(result["wall"]) / max(1, len(verdicts))  # type: ignore[arg-type]


def growth(tmp: Path, impl: str, quick: bool) -> None:
    times = (1, 4) if quick else (1, 4, 16)
    first: tuple[float, int] | None = None
    marginal0 = None
    for n in times:
        r = run(impl, tmp, "--corpus", str(copies(tmp, n)), "-k", "not table-")
        wall, cases = float(r["wall"]), len(r["verdicts"])  # type: ignore[arg-type]
        line = (
            f"  {impl:28} x{n:<3} {cases:6} cases {wall:7.1f} s  {per_case(r) * 1000:7.2f} ms/case"
        )
        if first is None:
            first = (wall, cases)
        else:
            # the cost of each added case (start-up excluded): flat when growth is linear
            marginal = (wall - first[0]) / (cases - first[1])
            marginal0 = marginal0 or marginal
            line += f"  each added case {marginal * 1000:6.2f} ms (x{marginal / marginal0:4.2f})"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", help="a libvirtd URI for the real-host part (e.g. qemu:///system)")
    parser.add_argument("--quick", action="store_true", help="x1 and x4 only")
    parser.add_argument("--host-only", action="store_true", help="only the real-host part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="snapconform-bench-") as name:
        tmp = Path(name)
        if args.host_only:
            host(tmp, args.uri)
            return 0
        print("growth (corpus cases, no table cells): time per case against x1")
        growth(tmp, "python:harness.reference", args.quick)
        growth(tmp, "virsh:test:///default", args.quick)
        print("virsh against the binding against the reference on test:///default (every case)")
        results = {}
        for impl in (
            "python:harness.reference",
            "virsh:test:///default",
            "libvirt:test:///default",
        ):
            try:
                results[impl] = run(impl, tmp)
            except SystemExit as exc:
                print(f"  {impl}: not run ({str(exc).splitlines()[0]})")
        ref = results.get("python:harness.reference")
        for impl, r in results.items():
            ratio = (
                ""
                if ref is None
                else f"  x{float(r['wall']) / float(ref['wall']):6.1f} the reference"
            )
            print(f"  {impl:28} {len(r['verdicts']):5} cases {r['wall']:7.1f} s{ratio}")  # type: ignore[arg-type]
        if args.uri:
            host(tmp, args.uri)
    return 0


def host(tmp: Path, uri: str) -> None:
    probe = subprocess.run(["virsh", "-c", uri, "uri"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        print(f"real host {uri}: not reachable, skipped ({probe.stderr.strip()})")
        return
    print(f"real host {uri} (virsh, --allow-host)")
    trace = tmp / "host-trace.jsonl"
    one = run(f"virsh:{uri}", tmp, "--allow-host", env={TRACE_ENV: str(trace)})
    two = run(f"virsh:{uri}", tmp, "--allow-host", "-n", "2")
    for label, r in (("-n 1", one), ("-n 2", two)):
        stats = r["stats"]
        assert isinstance(stats, list)
        prov = sum(s["provisioned"] for s in stats)
        destroyed = sum(s.get("destroyed", 0) for s in stats)
        retired = sum(s.get("retired", 0) for s in stats)
        recreated = sum(sum(s["recreate_reasons"].values()) for s in stats)
        other = sum(s["recreate_reasons"].get("other disks", 0) for s in stats)
        dirty = recreated - other
        distinct = prov - dirty  # provisions not forced by a dirty fixture
        print(
            f"  {label}: {r['wall']:6.1f} s, {len(r['verdicts'])} cases, complete={r['complete']}, "
            f"workers {len(stats)}"
        )
        print(
            f"    provisions {prov} = {distinct} for distinct fixtures (per worker) + {dirty} "
            f"after a case left its fixture dirty; destroys {destroyed} "
            f"({retired} in the background)"
        )
    same = one["verdicts"] == two["verdicts"]
    print(
        f"  -n 2 against -n 1: {float(one['wall']) / float(two['wall']):.2f}x faster; "
        f"verdicts identical case by case: {same}"
    )
    f = floor(trace, uri)
    print(
        f"  physical floor (bench/floor.py: the -n 1 run's {f['operations']} host operations "
        f"its cases need, {f['background']} of them in background sessions as in the run, "
        f"replayed bare; {f['skipped']} reads left out, {f['skipped_seconds']:.1f} s of the "
        f"run): {f['seconds']:.1f} s; harness wall {float(one['wall']):.1f} s; "
        f"ratio {float(one['wall']) / f['seconds']:.2f} (target <= 1.15)"
    )
    if f["mismatches"] or f["left"]:
        print(f"  floor replay differed from the run: {f['mismatches'][:5]}; left: {f['left']}")


if __name__ == "__main__":
    raise SystemExit(main())
