"""Which dataset remotes a launched project may reach.

A project followed through a link (`brain launch`, a hub's launches) is someone else's: its
`data:` section could point brain at any SSH host or S3 endpoint, with the follower's keys
and credentials in reach. While a launch runs, a remote is opened only when its URL matches
one of the patterns the follower gave (`--allow-data`); none are allowed by default. Outside a
launch (the user's own project) every remote of the spec is theirs to use.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from contextlib import contextmanager

from brain.errors import InvalidInput

# One launch a process (a hub starts each as its own child): a process-wide rule, so threads
# a run starts see it too. None: not a launch, nothing restricted.
_ALLOWED: tuple[str, ...] | None = None


@contextmanager
def launched(patterns: tuple[str, ...]) -> Iterator[None]:
    """While inside: only remotes whose URL matches one of `patterns` (fnmatch) open."""
    global _ALLOWED
    before, _ALLOWED = _ALLOWED, tuple(patterns)
    try:
        yield
    finally:
        _ALLOWED = before


def check_remote_allowed(name: str, url: str) -> None:
    """Refuse remote `name` when a launch runs and no --allow-data pattern names its URL."""
    if _ALLOWED is None or any(fnmatch.fnmatchcase(url, pattern) for pattern in _ALLOWED):
        return
    raise InvalidInput(
        f"dataset remote {name!r} ({url}) is not allowed for a launched project",
        hint="a launched project reaches no data remote unless you allow it: "
             f"--allow-data '{url}' (an fnmatch pattern, e.g. 's3://example-bucket/*')")
