"""Run records the store could not take, kept on this machine until it can.

The rule for a run whose store is down: the run goes ahead; its record is written here
(`BRAIN_HOME/spool/`, one JSON file per start and per end, written atomically) and the next
access to the store from this BRAIN_HOME copies it in. Copying is idempotent by run id (an
insert that finds the id already there adds nothing; an end overwrites the row), so a record
synced twice is still one run, and a run never disappears because the store was briefly down.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from brain import paths

_KINDS = ("start", "end")  # synced in this order: a run's end after its start


def spool_folder(*, create: bool) -> Path:
    """`BRAIN_HOME/spool` (made by brain, never through a link)."""
    from brain.statefs import safe_dir

    return safe_dir(paths.brain_home(), "spool", create=create)


def keep(row: dict[str, Any], kind: str) -> Path:
    """Write `row` (a runs row) as this run's `kind` ("start" or "end") file."""
    from brain.statefs import write_atomic

    assert kind in _KINDS
    target = spool_folder(create=True) / f"{row['id']}.{kind}.json"
    write_atomic(target, json.dumps(row, sort_keys=True), mode=0o600)
    return target


def pending() -> Iterator[tuple[Path, dict[str, Any]]]:
    """The spooled rows, starts before ends, oldest run first; unreadable files are skipped
    (left for a person to look at: `brain store check` counts them)."""
    try:
        folder = spool_folder(create=False)
        names = sorted(os.listdir(folder))
    except (OSError, ValueError):
        return
    for kind in _KINDS:
        for name in names:
            if not name.endswith(f".{kind}.json"):
                continue
            path = folder / name
            try:
                from brain.statefs import read_text

                row = json.loads(read_text(path))
            except (OSError, ValueError):
                continue
            if isinstance(row, dict) and isinstance(row.get("id"), str):
                yield path, row


def has_pending() -> bool:
    """Whether anything waits (one directory read: every store access asks)."""
    try:
        with os.scandir(paths.brain_home() / "spool") as entries:
            return any(entry.name.endswith(".json") for entry in entries)
    except OSError:
        return False


def done(path: Path) -> None:
    """Forget a synced file."""
    path.unlink(missing_ok=True)
