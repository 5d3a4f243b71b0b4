"""The run store: one SQLite file (WAL) holding every run record.

Readers never block writers (WAL); writers take `BEGIN IMMEDIATE` so two brains never both
read-then-upgrade a lock and deadlock; a busy timeout bounds the wait, past which `Busy` (exit
4). The schema carries its version in `schema_version` and is brought up to date by ordered
migrations on first use. Deliberately free of pydantic/rich so `brain runs list` stays fast.
"""

from __future__ import annotations

import builtins
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from brain import paths
from brain.errors import BrainError, Busy, EnvironmentFailure, InvalidInput
from brain.runs.record import STATUSES, RunRecord
from brain.runs.run_ids import ambiguous, check_run_id
from brain.runs.store_schema import (
    INSERT,
    MIGRATIONS,
    SCHEMA_VERSION,
    SELECT,
    dumps,
    entry_key,
    loads,
    record_of,
    row_of,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "RunStore", "entry_key", "new_run_id"]

DEFAULT_TIMEOUT = 10.0  # seconds a write waits for another writer; BRAIN_STORE_TIMEOUT overrides
_AMBIGUOUS_SHOWN = 10
_MAX_LIMIT = 1_000_000_000
_BEST_EFFORT_SECONDS = 0.2  # how long a read-only command waits to reconcile orphans


def new_run_id() -> str:
    """A 16-hex-char run id that sorts by creation time: 11 hex of milliseconds, 5 random.

    Time first so ids sort like runs happened; within one process ids are strictly
    increasing (the random part counts up inside a millisecond), and across processes two
    ids minted in the same millisecond collide once in a million (`insert` then refuses the
    second). Any unique prefix works on the command line.
    """
    global _last_id
    millis = time.time_ns() // 1_000_000
    value = (millis << 20) | (int.from_bytes(os.urandom(3)) >> 4)  # 20 random bits
    if value <= _last_id:
        value = _last_id + 1
    _last_id = value
    return f"{value:016x}"


_last_id = 0


class RunStore:
    """The SQLite run store at `path` (default `paths.store_path()`), created on first use.

    Use as a context manager or call `close()`. Every method raises `Busy` when another
    writer holds the store past the timeout and `EnvironmentFailure` when the file cannot be
    opened or is not a readable SQLite database.
    """

    def __init__(self, path: Path | None = None, *, timeout: float | None = None) -> None:
        self.path = Path(path) if path is not None else paths.store_path()
        self.timeout = timeout if timeout is not None else _timeout_from_environment()
        self._wait = self.timeout  # the busy wait in force (shorter in best-effort work)
        self._db: sqlite3.Connection | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (a later call reopens it)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- writes ----------------------------------------------------------------------------

    def insert(self, record: RunRecord) -> None:
        """Add a new record (usually `status="running"`); its id must be new."""
        _check_status(record.status)
        row = row_of(record)
        with self._write() as db:
            try:
                db.execute(INSERT, row)
            except sqlite3.IntegrityError:
                raise BrainError(f"run id {record.id} already exists in {self.path}",
                                 hint="mint ids with brain.runs.store.new_run_id()") from None

    def insert_many(self, records: Iterable[RunRecord]) -> int:
        """Add many new records in one transaction (imports, benchmarks); returns how many."""
        rows = []
        for record in records:
            _check_status(record.status)
            rows.append(row_of(record))
        with self._write() as db:
            try:
                db.executemany(INSERT, rows)
            except sqlite3.IntegrityError:
                raise BrainError(f"a run id is already in {self.path}; nothing was added") \
                    from None
        return len(rows)

    def finish(self, run_id: str, status: str, exit_code: int | None, ended_at: float,
               extra: dict[str, Any] | None = None) -> None:
        """Record how run `run_id` (a full id) ended; `extra` is merged into its extra."""
        _check_status(status)
        with self._write() as db:
            found = db.execute("SELECT extra FROM runs WHERE id = ?", (run_id,)).fetchone()
            if found is None:
                raise InvalidInput(f"no run with id {run_id!r} in {self.path}")
            merged = {**loads(found[0], {}), **(extra or {})}
            db.execute("UPDATE runs SET status = ?, exit_code = ?, ended_at = ?, extra = ? "
                       "WHERE id = ?", (status, exit_code, ended_at, dumps(merged), run_id))

    def reconcile(self, *, best_effort: bool = False) -> int:
        """Mark `running` records of this host whose owning process is gone as `unknown`.

        Returns how many changed. A brain killed mid-run (SIGKILL, power loss) cannot finish
        its record; this is how such orphans stop looking alive. With `best_effort` (what
        read-only commands use) a busy store is waited on only briefly and then left alone:
        showing a stale `running` beats failing a `brain runs list`.
        """
        from brain.runs.provenance import host_name, process_alive

        host = host_name()
        rows = self._read(lambda db: db.execute(
            "SELECT id, pid, started_at FROM runs WHERE status = 'running' AND host = ?",
            (host,)).fetchall())
        orphans = [run_id for run_id, pid, started in rows if not process_alive(pid, started)]
        if not orphans:
            return 0
        try:
            with self._waiting(_BEST_EFFORT_SECONDS if best_effort else self.timeout), \
                    self._write() as db:
                db.executemany("UPDATE runs SET status = 'unknown' WHERE id = ? AND "
                               "status = 'running'", [(run_id,) for run_id in orphans])
        except Busy:
            if not best_effort:
                raise
            return 0
        return len(orphans)

    # -- reads -----------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        """The record whose id is `run_id` or starts with it (unique prefix)."""
        prefix = check_run_id(run_id)
        rows = self._read(lambda db: db.execute(
            f"{SELECT} WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (prefix, prefix + "~", _AMBIGUOUS_SHOWN + 1)).fetchall())
        if not rows:
            raise InvalidInput(f"no run with id {run_id!r}",
                               hint="`brain runs list` shows the ids of recent runs")
        if len(rows) > 1 and rows[0][0] != prefix:
            total = self._read(lambda db: db.execute(
                "SELECT count(*) FROM runs WHERE id >= ? AND id < ?",
                (prefix, prefix + "~")).fetchone()[0])
            raise ambiguous(prefix, [row[0] for row in rows], total)
        return record_of(rows[0])

    def neighbours(self, run_id: str) -> tuple[str | None, str | None]:
        """The ids just before and just after `run_id` in id order (None at either end)."""
        found = self._read(lambda db: db.execute(
            "SELECT (SELECT max(id) FROM runs WHERE id < ?), (SELECT min(id) FROM runs "
            "WHERE id > ?)", (run_id, run_id)).fetchone())
        return found[0], found[1]

    def list(self, project: str | None = None, namespace: str | None = None,
             entry: str | None = None, status: str | None = None,
             limit: int = 20, sweep: str | None = None,
             under: Path | None = None) -> list[RunRecord]:
        """Records newest first, filtered. `project` may be `name` or `namespace/name`;
        `sweep` keeps the points of one sweep (brain.runs.sweep); `under`: only runs of
        projects in that folder (a workspace)."""
        clauses: list[str] = []
        values: list[Any] = []
        if under is not None:  # a prefix compared as text: no LIKE wildcards in a path
            top = str(under).rstrip(os.sep)
            clauses.append("(project_path = ? OR substr(project_path, 1, ?) = ?)")
            values += [top, len(top) + 1, top + os.sep]
        if project is not None:
            if "/" in project:
                namespace, project = project.split("/", 1)
            clauses.append("project = ?")
            values.append(project)
        if namespace is not None:
            clauses.append("namespace = ?")
            values.append(namespace)
        if entry is not None:
            clauses.append("entry_key = ?")
            values.append(entry_key(entry))
        if status is not None:
            _check_status(status)
            clauses.append("status = ?")
            values.append(status)
        if sweep is not None:
            # The sweep id lives in `extra` (no column: a sweep is rare, a schema change is not)
            clauses.append("json_extract(extra, '$.sweep') = ?")
            values.append(sweep.strip())
        if not 1 <= limit <= _MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {_MAX_LIMIT}, got {limit}")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{SELECT}{where} ORDER BY started_at DESC, id DESC LIMIT ?"
        rows = self._read(lambda db: db.execute(sql, (*values, limit)).fetchall())
        return [record_of(row) for row in rows]

    def count(self) -> int:
        """How many records the store holds."""
        found: int = self._read(lambda db: db.execute("SELECT count(*) FROM runs").fetchone()[0])
        return found

    def integrity_check(self) -> builtins.list[str]:
        """SQLite's `PRAGMA integrity_check`: the problems found, empty when the file is sound."""
        rows = self._read(lambda db: db.execute("PRAGMA integrity_check").fetchall())
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else problems

    def schema_version(self) -> int:
        """The schema version of the store file (migrating it first if needed)."""
        version: int = self._read(_current_version)
        return version

    # -- plumbing --------------------------------------------------------------------------

    def _read(self, query: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._errors():
            return query(self._connection())

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._errors():
            db = self._connection()
            self._retrying(db, lambda: db.execute("BEGIN IMMEDIATE"))
            try:
                yield db
            except BaseException:
                db.rollback()
                raise
            db.commit()

    @contextmanager
    def _waiting(self, seconds: float) -> Iterator[None]:
        """Wait at most `seconds` for locks inside this block (then the store's timeout)."""
        db = self._read(lambda db: db)
        self._wait = seconds
        db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            self._wait = self.timeout
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise EnvironmentFailure(f"run store {self.path} is a folder, not a database file",
                                     hint="point BRAIN_STORE at a file path")
        from brain.statefs import check_database

        check_database(self.path)  # UnsafeState (exit 3) for a link where the store goes
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise EnvironmentFailure(f"cannot create the folder of the run store "
                                     f"{self.path}: {error.strerror}") from None
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE) only.
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            db.create_function("brain_entry_key", 1, entry_key, deterministic=True)
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._retrying(db, lambda: self._prepare(db))
        except BaseException:
            db.close()
            raise
        return db

    def _retrying(self, db: sqlite3.Connection, action: Callable[[], object]) -> None:
        """Run `action`, retrying a "locked" that SQLite returned without waiting.

        Brains racing to switch a new file to WAL deadlock on their locks, and SQLite then
        answers one of them "locked" at once rather than calling the busy handler (see
        sqlite3_busy_handler). Such answers are retried until the store's timeout has passed.
        """
        deadline = time.monotonic() + self._wait
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                if db.in_transaction:
                    db.rollback()
                time.sleep(0.005 + int.from_bytes(os.urandom(1)) / 5000)

    def _prepare(self, db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable against crashes in WAL mode; only power loss can drop the last
        # commits, which costs a run record at worst, never the file.
        db.execute("PRAGMA synchronous = NORMAL")
        if _current_version(db) != SCHEMA_VERSION:
            self._migrate(db)

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another brain may have migrated meanwhile.
            version = _current_version(db)
            if version > SCHEMA_VERSION:
                raise EnvironmentFailure(
                    f"run store {self.path} has schema version {version}, newer than this "
                    f"brain understands ({SCHEMA_VERSION})", hint="upgrade brain")
            if version == 0:
                db.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                           "version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1]:
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (?, ?)", (number, time.time()))
        except BaseException:
            db.rollback()
            raise
        db.commit()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn sqlite3 errors into BrainErrors that name the store file."""
        try:
            yield
        except sqlite3.Error as error:
            raise _translate(error, self.path) from None


def _current_version(db: sqlite3.Connection) -> int:
    try:
        found = db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return 0
        raise
    return int(found or 0)


def _translate(error: sqlite3.Error, path: Path) -> BrainError:
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return Busy(f"run store {path} is busy: another brain holds it ({text})",
                    hint="wait and retry, or raise BRAIN_STORE_TIMEOUT (seconds)")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return EnvironmentFailure(
            f"run store {path} is not a readable SQLite database ({text})",
            hint=f"move it aside (mv {path} {path}.broken) and brain starts a new one")
    if "unable to open" in lowered or "readonly" in lowered or "disk i/o" in lowered:
        return EnvironmentFailure(f"cannot use the run store {path} ({text})",
                                  hint="check the file and its folder are writable")
    return BrainError(f"run store {path}: {text}")


def _timeout_from_environment() -> float:
    from brain import settings

    return settings.seconds("BRAIN_STORE_TIMEOUT")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidInput(f"unknown run status {status!r}",
                           hint=f"use one of: {', '.join(STATUSES)}")
