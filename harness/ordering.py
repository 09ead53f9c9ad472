"""Cases ordered and grouped by the fixture they run on (a real host pays per fixture).

On a real libvirt every case runs on a scratch domain (a *fixture*) shaped by its context:
disks, persistence, state. Reusing a fixture between cases costs a reset (the snapshots
deleted); a fixture with other disks costs a new domain, and bringing a running fixture back
to shut off costs a ``destroy`` (seconds on a host whose init reaps QEMU slowly). So within
a worker the cases run grouped by domain (disks, persistence) and, within a group, by state
(shut off, running, paused: a start and a suspend, never a destroy), with the cases expected
to leave the fixture dirty (an external snapshot of a running domain, ``--no-metadata``)
last in their state.

Adapters that run on fixtures say which one a request needs (``fixture_key(request)``:
a group name and a rank); cases of other adapters keep the corpus order. Under pytest-xdist
:class:`FixtureGroupScheduling` hands a group's cases of one state to one worker (largest
first), so each distinct fixture (domain and state) is provisioned on one worker only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

T = TypeVar("T")

#: (group, rank within the group); None: the case runs on no fixture (goes first)
FixtureKey = tuple[str, tuple[int, int]] | None
#: the group of cases that run on no fixture
NO_FIXTURE = "no-fixture"


def ordered(items: Sequence[T], key_of: Callable[[T], FixtureKey]) -> list[T]:
    """``items`` grouped by fixture, in order of each group's first appearance; within a
    group by rank, then the original order (a stable sort)."""
    keys = [key_of(item) for item in items]
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(NO_FIXTURE if key is None else key[0], -1 if key is None else index)
    order = sorted(
        range(len(items)),
        key=lambda i: (
            first[NO_FIXTURE if keys[i] is None else keys[i][0]],  # type: ignore[index]
            (-1, -1) if keys[i] is None else keys[i][1],  # type: ignore[index]
            i,
        ),
    )
    return [items[i] for i in order]


def group_of(key: FixtureKey) -> str:
    return NO_FIXTURE if key is None else key[0]


def scope_of(key: FixtureKey) -> str:
    """What xdist hands to one worker: a fixture group in one state (the groups are too
    uneven to balance two workers whole: one domain shape holds half the cases). A worker
    provisions each (domain, state) it gets once."""
    return NO_FIXTURE if key is None else f"{key[0]}/state{key[1][0]}"


class FixtureGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """xdist's scope scheduling with a case's fixture group as its scope."""

    def __init__(self, config: Any, log: Any = None, *, group: Callable[[str], str]) -> None:
        super().__init__(config, log)
        self._group = group

    def _split_scope(self, nodeid: str) -> str:
        return self._group(nodeid)
