"""Run ids as people type and read them: the shortest unique prefix shown in tables (like
git's abbreviated hashes, never under 8 characters) and one message for a prefix that names
several runs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from brain.errors import InvalidInput
from brain.runs.run_origin import new_run_id as new_run_id  # where callers have found it

SHORTEST = 8  # ids are time-first: 8 hex characters separate runs a few seconds apart
_LISTED = 10
_RUN_ID = re.compile(r"[0-9a-f]{1,16}")


def check_run_id(run_id: str) -> str:
    """`run_id` stripped and lower-cased; InvalidInput unless it is 1-16 hex digits."""
    prefix = run_id.strip().lower()
    if not prefix:
        raise InvalidInput("run id is empty", hint="`brain runs list` shows the ids")
    if not _RUN_ID.fullmatch(prefix):
        raise InvalidInput(f"not a run id: {run_id!r} (ids are up to 16 hex digits)",
                           hint="`brain runs list` shows the ids; any unique prefix works")
    return prefix


def ambiguous(typed: str, matches: Sequence[str], total: int) -> InvalidInput:
    """The error for a prefix `typed` that `total` runs start with (`matches`: some of them)."""
    shown = list(matches[:_LISTED])
    more = f" and {total - len(shown)} more" if total > len(shown) else ""
    return InvalidInput(f"ambiguous: {total} runs start with {typed!r}: "
                        f"{', '.join(shown)}{more}",
                        hint="type more characters of the id")


def shortest_unique(run_id: str, others: Iterable[str | None]) -> str:
    """The shortest prefix of `run_id` (at least SHORTEST characters) that no id in `others`
    starts with."""
    common = 0
    for other in others:
        if other is None or other == run_id:
            continue
        length = 0
        for mine, theirs in zip(run_id, other, strict=False):
            if mine != theirs:
                break
            length += 1
        common = max(common, length)
    return run_id[:max(SHORTEST, common + 1)]


def short_ids(ids: Sequence[str],
              neighbours: Callable[[str], tuple[str | None, str | None]]) -> dict[str, str]:
    """Each id's shortest unique prefix among the ids given and every run in the store
    (`neighbours`: RunStore.neighbours, the ids just before and after one)."""
    listed = sorted(set(ids))
    shown: dict[str, str] = {}
    for position, run_id in enumerate(listed):
        nearby = listed[max(position - 1, 0):position + 2]
        shown[run_id] = shortest_unique(run_id, [*neighbours(run_id), *nearby])
    return shown
