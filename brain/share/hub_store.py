"""Where the hub keeps its tables (launch history, accounts, audit log): in the store in force
when that is PostgreSQL (shared by every hub and shell of a team), else in a SQLite file of
the hub's own under its state folder, both through brain.store (one schema, one migration
chain)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import BrainError, EnvironmentFailure

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

    from brain.store.engine import Database


def hub_database(path: Path, what: str, *, private: bool = False) -> Database:
    """The opened (and migrated) store holding the hub's `what` ("launch history",
    "accounts"); `path` is its SQLite file when the store in force is not PostgreSQL,
    created mode 0600 first with `private`. EnvironmentFailure when it cannot be used."""
    from brain.statefs import check_database, open_file, safe_dir
    from brain.store.engine import Database
    from brain.store.location import sqlite_at, store_location

    location = store_location()
    if location.kind == "sqlite":
        location = sqlite_at(path)
        try:
            safe_dir(path.parent.parent, path.parent.name)
            check_database(path)  # UnsafeState (exit 3) for a link where the file goes
            if private:
                os.close(open_file(path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as error:
            raise EnvironmentFailure(f"cannot open the hub's {what} {path}: {error}",
                                     hint="check BRAIN_HOME is writable") from None
    database = Database(location, timeout=10.0)
    try:
        database.revision()  # open and migrate now: a hub that cannot record never starts
    except BrainError as error:
        database.close()
        raise EnvironmentFailure(f"cannot open the hub's {what}: {error.message}",
                                 hint=error.hint or "check BRAIN_HOME is writable") from None
    return database


def insert_new(db: Connection, table: Table, row: dict[str, object]) -> bool:
    """Insert `row` unless a row with one of its unique keys exists; True when inserted.
    (A conflict is not an error, so a PostgreSQL transaction stays usable after it.)"""
    if db.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return bool(db.execute(insert(table).values(row).on_conflict_do_nothing()).rowcount)
