"""Choose the profile a run is judged by."""

from __future__ import annotations

from fnmatch import fnmatchcase

from harness.contract import Identity
from harness.corpus.model import Corpus, Profile


class ProfileError(ValueError):
    pass


def select_profile(corpus: Corpus, identity: Identity | None, requested: str | None) -> Profile:
    """``requested`` if given; else the profile the implementation names; else the one whose
    identity patterns match the implementation's details."""
    names = ", ".join(sorted(corpus.profiles))
    if requested:
        if requested not in corpus.profiles:
            raise ProfileError(f"unknown profile {requested!r}; the corpus has: {names}")
        return corpus.profiles[requested]
    if identity is not None and identity.profile:
        if identity.profile not in corpus.profiles:
            raise ProfileError(
                f"the implementation names profile {identity.profile!r}, which the corpus "
                f"does not have ({names}); pass --profile"
            )
        return corpus.profiles[identity.profile]
    if identity is not None:
        matches = [
            p
            for p in corpus.profiles.values()
            if p.identity
            and all(fnmatchcase(identity.details.get(k, ""), v) for k, v in p.identity.items())
        ]
        if len(matches) == 1:
            return matches[0]
    raise ProfileError(f"cannot tell which profile applies; pass --profile (one of: {names})")
