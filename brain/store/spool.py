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
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple

from brain import paths
from brain.errors import BrainError
from brain.store.spool_write import KINDS

_KINDS = KINDS  # synced in this order: a run's end after its start
_ERROR_FILE = "spool-error.json"  # beside the spool folder: the last failed sync, in one line
_MAX_RECORD = 1 << 20  # a run record is a few kilobytes; a bigger file is not one of brain's
_notes: list[str] = []  # lines a reader left for the CLI to print on stderr at its end


def spool_folder(*, create: bool) -> Path:
    """`BRAIN_HOME/spool` (made by brain, never through a link)."""
    from brain.statefs import safe_dir

    return safe_dir(paths.brain_home(), "spool", create=create)


def keep(row: dict[str, Any], kind: str) -> Path:
    """Write `row` (a runs row) as this run's `kind` ("start" or "end") file, atomically
    (brain.store.spool_write). Not statefs's write_atomic: its imports would cost every run."""
    from brain.store.spool_write import write_row

    folder = spool_folder(create=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        return folder / write_row(fd, row, kind)
    finally:
        os.close(fd)


def pending() -> Iterator[tuple[Path, dict[str, Any]]]:
    """The spooled rows, starts before ends, oldest run first; unreadable files are skipped
    (left for a person to look at: `brain store check` counts them)."""
    try:
        folder = spool_folder(create=False)
        names = sorted(os.listdir(folder))
    except (OSError, ValueError, BrainError):  # a link where the spool goes: see survey()
        return
    for kind in _KINDS:
        for name in names:
            if not name.endswith(f".{kind}.json"):
                continue
            path = folder / name
            row = _read_row(path)
            if row is not None:
                yield path, row


def _read_row(path: Path) -> dict[str, Any] | None:
    """A spooled runs row, or None for a file that is not one (partial, corrupt, huge, a
    link, not a file)."""
    from brain.statefs import read_text

    try:
        if os.lstat(path).st_size > _MAX_RECORD:
            return None
        row = json.loads(read_text(path, limit=_MAX_RECORD))
    except (OSError, ValueError, BrainError):  # BrainError: UnsafeState, a link or a FIFO
        return None
    return row if isinstance(row, dict) and isinstance(row.get("id"), str) else None


class SpoolState(NamedTuple):
    """What waits in the spool: `runs` (distinct run ids), files no sync can read (kept for a
    person to look at), why the folder itself cannot be read, and the last failed sync."""

    runs: int = 0
    unreadable: tuple[str, ...] = ()
    folder_problem: str | None = None
    last_error: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "unreadable": list(self.unreadable)}


def survey() -> SpoolState:
    """Read the spool without changing it (`brain store check`, a reader's note)."""
    last = last_error()
    try:
        folder = spool_folder(create=False)
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return SpoolState(last_error=last)
    except (OSError, BrainError) as error:
        return SpoolState(folder_problem=getattr(error, "message", None) or str(error),
                          last_error=last)
    ids = set()
    unreadable = []
    for name in names:
        if not name.endswith(".json"):
            continue
        row = _read_row(folder / name)
        if row is None:
            unreadable.append(str(folder / name))
        else:
            ids.add(row["id"])
    return SpoolState(len(ids), tuple(unreadable), None, last)


def note_failure(store: str, message: str) -> None:
    """Remember why a sync into `store` (as shown, password masked) failed."""
    import time

    from brain.statefs import write_atomic

    text = json.dumps({"at": time.time(), "store": store, "error": message[:500]})
    # The note is a courtesy: the records themselves stay in the spool regardless.
    with suppress(OSError, BrainError):
        write_atomic(paths.brain_home() / _ERROR_FILE, text, mode=0o600)


def clear_failure() -> None:
    """Forget the last failure (a sync went through)."""
    target = paths.brain_home() / _ERROR_FILE
    with suppress(OSError):
        if target.is_file() and not target.is_symlink():
            target.unlink()


def last_error() -> dict[str, Any] | None:
    """The last failed sync ({"at", "store", "error"}), or None."""
    target = paths.brain_home() / _ERROR_FILE
    try:
        if os.lstat(target).st_size > _MAX_RECORD:
            return {"error": f"{target} is too large to be brain's note"}
    except OSError:
        return None
    found = _read_row_like(target)
    return found if found is not None else {"error": f"{target} is unreadable"}


def _read_row_like(path: Path) -> dict[str, Any] | None:
    from brain.statefs import read_text

    try:
        found = json.loads(read_text(path, limit=_MAX_RECORD))
    except (OSError, ValueError, BrainError):
        return None
    return found if isinstance(found, dict) else None


def leave_note(store: str, *, left_over_only: bool = False) -> None:
    """After a reader's sync: one line for stderr saying what still waits (printed by the
    CLI when the command ends); `left_over_only` after a sync that went through: only what
    no sync can take (unreadable files, an unsafe folder)."""
    state = survey()
    if state.folder_problem:
        _notes.append(f"brain: the local run spool cannot be read: {state.folder_problem}")
        return
    if state.runs and not left_over_only:
        runs = "1 run waits" if state.runs == 1 else f"{state.runs} runs wait"
        _notes.append(f"brain: {runs} in the local spool for the store at {store}; they are "
                      "synced on the next command that reaches it")
    if state.unreadable:
        _notes.append(f"brain: {len(state.unreadable)} file(s) in the local spool are not run "
                      f"records brain can read (first: {state.unreadable[0]}); left as they "
                      "are, see `brain store check`")


def notes() -> list[str]:
    """The lines readers left (and forget them)."""
    found = list(dict.fromkeys(_notes))
    _notes.clear()
    return found


def has_pending() -> bool:
    """Whether anything waits (one directory read: every store access asks)."""
    folder = paths.brain_home() / "spool"
    if folder.is_symlink():
        return True  # not followed: the sync finds it unsafe and the reader says so
    try:
        with os.scandir(folder) as entries:
            return any(entry.name.endswith(".json") for entry in entries)
    except OSError:
        return False


def done(path: Path) -> None:
    """Forget a synced file."""
    path.unlink(missing_ok=True)
