"""Statements compiled once by SQLAlchemy, kept in brain's cache, and run again through the
bare database driver (sqlite3, psycopg): `brain runs list` and the spool's sync after each
`brain run` then import neither SQLAlchemy nor Alembic, about 0.25 s of CPU each, most of
what they cost.

The kept text is SQLAlchemy's own compilation for the store's dialect (brain writes no SQL
by hand; values are always bound), stamped with the code that builds the statements. A kept
connection only handles the ordinary case: anything else (no kept text, a store not at HEAD,
a busy or failing store, a store that is not a plain file) is None or False, and the caller
takes the SQLAlchemy path, which owns migrations, waiting, retries and error messages.
"""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.store.location import StoreLocation

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql import ClauseElement

_CONNECT_SECONDS = 2  # a slow server is the SQLAlchemy path's to wait for, with its retries
_LIMIT = 1 << 22  # bytes of kept statements: a few hundred of them
_VERBS = ("SELECT ", "INSERT INTO ", "UPDATE ")
# The modules whose code shapes a kept statement: an edit to any of them compiles again.
_SOURCES = ("store/kept.py", "store/tables.py", "runs/store_query.py", "runs/store_schema.py",
            "runs/store.py")


def keep(dialect: Dialect, key: str, statement: ClauseElement) -> None:
    """Compile `statement` for `dialect` and keep it under `key` unless it is kept so already
    (best effort). Compiling each time (about a millisecond, on the SQLAlchemy path only)
    mends a kept text that went bad."""
    compiled = statement.compile(dialect=dialect)
    entry = {"sql": compiled.string,
             "order": list(getattr(compiled, "positiontup", None) or ()),  # qmark: by place
             # Values SQLAlchemy bound itself (a constant like json_extract's path); the
             # caller's own parameters have none.
             "constants": {name: value for name, value in compiled.params.items()
                           if value is not None}}
    kept = _load(dialect.name) or {}
    if kept.get(key) != entry:
        _save(dialect.name, {**kept, key: entry})


class KeptConnection:
    """A connection to the store through its bare driver. `rows` runs a kept statement, or
    says None when it cannot (the caller then goes through SQLAlchemy); writers take the
    write lock with `begin` (SQLite's without waiting: a wait is the SQLAlchemy path's) and
    end with `commit` or `rollback`."""

    def __init__(self, connection: Any, errors: type[Exception], kept: dict[str, Any],
                 dialect: str) -> None:
        self._connection = connection
        self._errors = errors
        self._kept = kept
        self._dialect = dialect

    def rows(self, key: str, values: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        found = self._kept.get(key)
        if found is None:
            return None
        try:
            parameters = {**found["constants"], **values}
            bound: Any = [parameters[name] for name in found["order"]] if found["order"] \
                else parameters
            cursor = self._connection.execute(found["sql"], bound)
            if cursor.description is None:
                return []  # a write without RETURNING
            return [tuple(row) for row in cursor.fetchall()]
        except (self._errors, KeyError, TypeError, ValueError):
            return None  # ValueError: text the driver cannot encode (a lone surrogate)

    def begin(self) -> bool:
        """Start a write transaction; False when the store is busy or errs."""
        if self._dialect != "sqlite":
            return True  # psycopg begins one on the first statement
        try:
            self._connection.execute("BEGIN IMMEDIATE")
        except self._errors:
            return False
        return True

    def commit(self) -> bool:
        # Both drivers end the transaction that is open (sqlite3: the one `begin` opened).
        try:
            self._connection.commit()
        except self._errors:
            return False
        return True

    def rollback(self) -> None:
        try:
            self._connection.rollback()
        except self._errors:
            return

    def close(self) -> None:
        try:
            self._connection.close()
        except self._errors:
            return


def open_kept(location: StoreLocation, *, write: bool = False) -> KeptConnection | None:
    """A connection to the store at `location` when it is at HEAD and statements are kept
    for it (read-only unless `write`); None otherwise (nothing was changed either way)."""
    from brain.store.engine import HEAD, REVISION_SQL

    dialect = location.kind  # "sqlite" or "postgresql", as SQLAlchemy names the dialects
    kept = _load(dialect)
    if not kept:
        return None
    opened = _sqlite(location, write) if dialect == "sqlite" else _postgres(location, write)
    if opened is None:
        return None
    connection, errors = opened
    kept_connection = KeptConnection(connection, errors, kept, dialect)
    try:
        revision = connection.execute(REVISION_SQL).fetchone()
        if dialect != "sqlite":
            connection.rollback()  # the read ends: each write is a transaction of its own
    except errors:
        revision = None
    if revision is None or revision[0] != HEAD:
        kept_connection.close()
        return None
    return kept_connection


def _sqlite(location: StoreLocation, write: bool) -> tuple[Any, type[Exception]] | None:
    import sqlite3
    from urllib.parse import quote

    path = location.path
    assert path is not None
    from brain.statefs import UnsafeState, check_database

    try:
        # Plain files only (SQLite follows links); a new store, or anything else, is the
        # SQLAlchemy path's to create or refuse with its message.
        check_database(path)
        if not path.is_file():
            return None
    except (OSError, UnsafeState):
        return None
    from brain.store.engine import SQLITE_SETTINGS

    try:
        # Never created here; transactions begun by brain (KeptConnection.begin), as the
        # SQLAlchemy path does; no busy wait (timeout 0): waiting is that path's.
        access = "rw" if write else "ro"
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode={access}", uri=True,
                                     timeout=0, isolation_level=None, check_same_thread=False)
        # NORMAL is only crash-safe in WAL mode, which the SQLAlchemy path sets up
        if write and connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.close()
            return None
        for setting in SQLITE_SETTINGS if write else ():
            connection.execute(setting)
    except sqlite3.Error:
        return None
    return connection, sqlite3.Error


def _postgres(location: StoreLocation, write: bool) -> tuple[Any, type[Exception]] | None:
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
    connection.read_only = not write
    return connection, psycopg.Error


def _path(dialect_name: str) -> Path:
    from brain.paths import brain_home

    return brain_home() / "kept" / f"sql-{dialect_name}.json"


def _load(dialect_name: str) -> dict[str, Any] | None:
    """The kept statements, when their file is this user's own, written by no one else, and
    stamped for this code. (It is SQL that brain runs with the store's credentials, so it
    lives in BRAIN_HOME beside the store, not in the shareable cache.)"""
    import json

    from brain.statefs import UnsafeState, open_file

    path = _path(dialect_name)
    try:
        folder = os.lstat(path.parent)
        fd = open_file(path, os.O_RDONLY)  # never through a link
    except (OSError, UnsafeState):
        return None
    with os.fdopen(fd, "rb") as handle:
        if not (stat.S_ISDIR(folder.st_mode) and _own(folder) and _own(os.fstat(fd))):
            return None
        try:
            record = json.loads(handle.read(_LIMIT))
        except ValueError:
            return None
    if not isinstance(record, dict) or record.get("stamp") != _stamp() \
            or not isinstance(record.get("data"), dict):
        return None
    return {key: entry for key, entry in record["data"].items() if _well_formed(entry)}


def _save(dialect_name: str, data: dict[str, Any]) -> None:
    """Write the kept statements (private to the user); best effort: only speed is lost."""
    import json
    from contextlib import suppress

    from brain.paths import brain_home
    from brain.statefs import UnsafeState, safe_dir, write_atomic

    with suppress(OSError, UnsafeState):
        folder = safe_dir(brain_home(), "kept")
        write_atomic(folder / _path(dialect_name).name,
                     json.dumps({"stamp": _stamp(), "data": data}), mode=0o600)


def _own(info: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    return info.st_uid == os.geteuid() and not info.st_mode & 0o022


def _well_formed(entry: Any) -> bool:
    """A kept statement as `keep` writes them: one statement of the kinds brain keeps."""
    return (isinstance(entry, dict) and isinstance(entry.get("sql"), str)
            and entry["sql"].startswith(_VERBS) and ";" not in entry["sql"]
            and isinstance(entry.get("order"), list)
            and isinstance(entry.get("constants"), dict))


@lru_cache(maxsize=1)
def _stamp() -> str:
    """Changes with brain's version, the code building the statements, and SQLAlchemy (an
    upgrade may compile them otherwise), found without importing it."""
    from importlib.util import find_spec

    from brain.cache_stamp import files_stamp

    spec = find_spec("sqlalchemy")
    try:
        info = os.stat(spec.origin) if spec is not None and spec.origin else None
    except OSError:
        info = None
    return files_stamp(_SOURCES, also="" if info is None else f"{info.st_mtime_ns}:{info.st_size}")
