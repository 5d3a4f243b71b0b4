"""Read statements compiled once by SQLAlchemy, kept in brain's cache, and run again through
the bare database driver (sqlite3, psycopg): a read-only command on a store at HEAD then
imports neither SQLAlchemy nor Alembic, about 0.25 s of CPU that `brain runs list` spent
before it asked the database anything.

The kept text is SQLAlchemy's own compilation for the store's dialect (brain writes no SQL
by hand), stamped with the code that builds the statements. A kept reader only answers the
ordinary case: anything else (no kept text, a store not at HEAD, a driver error, a store
that is not a plain file) is None, and the caller takes the SQLAlchemy path, which owns
migrations, retries and error messages.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.store.url import StoreLocation

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql import ClauseElement

_CONNECT_SECONDS = 2  # a slow server is the SQLAlchemy path's to wait for, with its retries
# The modules whose code shapes a kept statement: an edit to any of them compiles again.
_SOURCES = ("store/kept.py", "store/tables.py", "runs/store_query.py", "runs/store_schema.py",
            "runs/store.py")


def keep(dialect: Dialect, key: str, statement: ClauseElement) -> None:
    """Compile `statement` for `dialect` and keep it under `key`, unless it is kept already
    (best effort)."""
    from brain.cache_stamp import read_cached, write_cached

    path = _path(dialect.name)
    kept = read_cached(path, stamp=_stamp()) or {}
    if key in kept:
        return
    compiled = statement.compile(dialect=dialect)
    order = list(getattr(compiled, "positiontup", None) or ())  # qmark: values by position
    # Values SQLAlchemy bound itself (a constant like json_extract's path) are kept too;
    # the caller's own parameters have none.
    constants = {name: value for name, value in compiled.params.items() if value is not None}
    kept[key] = {"sql": compiled.string, "order": order, "constants": constants}
    write_cached(path, kept, stamp=_stamp())


class KeptReader:
    """One read transaction on the store through its bare driver. `rows` answers a kept
    statement, or None when it cannot (the caller then asks through SQLAlchemy)."""

    def __init__(self, connection: Any, errors: type[Exception], kept: dict[str, Any]) -> None:
        self._connection = connection
        self._errors = errors
        self._kept = kept

    def rows(self, key: str, values: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        found = self._kept.get(key)
        if not isinstance(found, dict):
            return None
        parameters = {**found["constants"], **values}
        try:
            bound: Any = [parameters[name] for name in found["order"]] if found["order"] \
                else parameters
            cursor = self._connection.execute(found["sql"], bound)
            return [tuple(row) for row in cursor.fetchall()]
        except (self._errors, KeyError, TypeError):
            return None

    def close(self) -> None:
        try:
            self._connection.close()
        except self._errors:
            return


def open_reader(location: StoreLocation) -> KeptReader | None:
    """A reader on the store at `location` when it is at HEAD and statements are kept for
    it; None otherwise (nothing was changed either way)."""
    from brain.cache_stamp import read_cached
    from brain.store.engine import HEAD, REVISION_SQL

    dialect = "sqlite" if location.kind == "sqlite" else "postgresql"
    kept = read_cached(_path(dialect), stamp=_stamp())
    if not kept:
        return None
    opened = _sqlite(location) if dialect == "sqlite" else _postgres(location)
    if opened is None:
        return None
    connection, errors = opened
    reader = KeptReader(connection, errors, kept)
    try:
        revision = connection.execute(REVISION_SQL).fetchone()
    except errors:
        revision = None
    if revision is None or revision[0] != HEAD:
        reader.close()
        return None
    return reader


def _sqlite(location: StoreLocation) -> tuple[Any, type[Exception]] | None:
    import sqlite3
    from urllib.parse import quote

    path = location.path
    assert path is not None
    # Plain files only, as brain.statefs.check_database requires (SQLite follows links);
    # anything else is the SQLAlchemy path's to refuse with its message.
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            if candidate == path:
                return None  # a new store: the SQLAlchemy path creates and migrates it
            continue
        except OSError:
            return None
        if not stat.S_ISREG(mode):
            return None
    try:
        # Read-only and never created here; autocommit off: one read transaction.
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0,
                                     check_same_thread=False)
    except sqlite3.Error:
        return None
    return connection, sqlite3.Error


def _postgres(location: StoreLocation) -> tuple[Any, type[Exception]] | None:
    try:
        import psycopg
    except ImportError:
        return None  # the postgres extra is missing: the SQLAlchemy path says which one
    scheme, _, rest = location.url.partition("://")
    try:
        connection = psycopg.connect(f"{scheme.split('+')[0]}://{rest}",
                                     connect_timeout=_CONNECT_SECONDS,
                                     application_name="brain")
    except (psycopg.Error, ValueError):
        return None
    connection.read_only = True
    return connection, psycopg.Error


def _path(dialect_name: str) -> Path:
    from brain.paths import cache_dir

    return cache_dir() / f"kept-sql-{dialect_name}.json"


def _stamp() -> str:
    from brain.cache_stamp import files_stamp

    return files_stamp(_SOURCES)
