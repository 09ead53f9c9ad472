"""What ``qemu-img`` says is inside a scratch image (local images only)."""

from __future__ import annotations

import json
import subprocess

from harness.host import trace


def image_snapshots(path: str) -> list[str]:
    """Names of the internal snapshots a qcow2 image holds (``-U``: the image may be in use)."""
    try:
        done = trace.run(["qemu-img", "info", "-U", "--output=json", path], timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    try:
        info = json.loads(done.stdout)
    except ValueError:
        return []
    return [str(s.get("name")) for s in info.get("snapshots", []) if isinstance(s, dict)]
