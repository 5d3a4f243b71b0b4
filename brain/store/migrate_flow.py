"""What `brain store migrate` copies: the local SQLite run store and the hub's launch history
and accounts (tokens, sessions, audit log; when there are) into the store at a URL."""

from __future__ import annotations

from pathlib import Path

from brain.errors import InvalidInput
from brain.store.engine import Database
from brain.store.location import parse_store, sqlite_at
from brain.store.transfer import TableCopy, copy_stores


def migrate_history(target: str, source: Path | None) -> tuple[list[TableCopy], str]:
    """Copy into `target` (a URL or path); returns the per-table counts and the target as
    shown to people (password masked)."""
    from brain import paths
    from brain.runs.store import _timeout_from_environment

    timeout = _timeout_from_environment()
    destination = parse_store(target, where="--to")
    files = [source] if source is not None else [paths.brain_home() / "brain.db"]
    if source is None:
        hub = paths.brain_home() / "hub"
        files += [file for file in (hub / "launches.db", hub / "accounts.db") if file.is_file()]
    if source is not None and not source.is_file():
        raise InvalidInput(f"--from {source}: no such store file")
    files = [file for file in files if file.is_file()]
    if not files:
        raise InvalidInput(f"no SQLite run store at {paths.brain_home() / 'brain.db'} to copy",
                           hint="name one with --from FILE")
    if any(destination.path is not None and destination.path.resolve() == file.resolve()
           for file in files if file.exists()):
        raise InvalidInput("--to names the store being copied", hint="give another store")
    sources = [Database(sqlite_at(file), timeout=timeout) for file in files]
    into = Database(destination, timeout=timeout)
    try:
        return copy_stores(sources, into), destination.shown
    finally:
        for database in (*sources, into):
            database.close()
