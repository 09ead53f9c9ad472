"""Deliberately wrong implementations: the reference with one rule broken.

The harness's tests assert that each fails exactly the cases that test that rule.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from harness import reference


def _rewrite(answer: dict[str, Any], change: Any) -> dict[str, Any]:
    if answer.get("outcome") != "accepted":
        return answer
    root = etree.fromstring(answer["xml"].encode())
    change(root)
    return dict(answer, xml=etree.tostring(root, encoding="unicode"))


class NoMemory:
    """Never emits <memory> (libvirt always does since 1.0.1)."""

    def identify(self) -> dict[str, Any]:
        return dict(reference.identify(), name="wrong-no-memory")

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        def drop(root: Any) -> None:
            for memory in root.findall("memory"):
                root.remove(memory)

        return _rewrite(reference.run(request), drop)


class OfflineInternal:
    """Defaults the memory of a shut-off domain to 'internal' instead of 'no'."""

    def identify(self) -> dict[str, Any]:
        return dict(reference.identify(), name="wrong-offline-internal")

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        context = request.get("context") or {}
        answer = reference.run(request)
        if (
            request["operation"] != "create"
            or context.get("state") != "shutoff"
            or "disk-only" in context.get("flags", [])
            or not memory_left_to_default(request["xml"])
        ):
            return answer

        def internal(root: Any) -> None:
            for memory in root.findall("memory"):
                memory.set("snapshot", "internal")

        return _rewrite(answer, internal)


def memory_left_to_default(xml: str) -> bool:
    """True when the document leaves the memory mode to the implementation."""
    root = etree.fromstring(xml.encode())
    memory = root.find("memory")
    return memory is None or (memory.get("snapshot") is None and memory.get("file") is None)


no_memory = NoMemory()
offline_internal = OfflineInternal()
