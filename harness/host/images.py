"""What ``qemu-img`` says is inside a scratch image (local images only)."""

from __future__ import annotations

import json
import subprocess
import time

from harness.host import trace


def image_snapshots(path: str) -> list[str]:
    """Names of the internal snapshots a qcow2 image holds (``-U``: the image may be in use)."""
    cmd = ["qemu-img", "info", "-U", "--output=json", path]
    began = time.time()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    finally:
        trace.record("exec", cmd, began, time.time() - began, False)
    if done.returncode != 0:
        return []
    try:
        info = json.loads(done.stdout)
    except ValueError:
        return []
    return [str(s.get("name")) for s in info.get("snapshots", []) if isinstance(s, dict)]
