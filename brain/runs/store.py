"""The run store: every run record, in SQLite (embedded default) or PostgreSQL (shared).

One code path for both (SQLAlchemy Core, brain.store.engine: transactions, migrations, the
retry rule). `brain run` writes its records to the local spool (brain.runs.journal); every
access here syncs the spool first, by run id, never twice, and a store that is down leaves it
for the next access. Deliberately free of pydantic/rich so `brain runs list` stays fast.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from brain.errors import BrainError, InvalidInput
from brain.runs.record import RunRecord
from brain.runs.run_ids import ambiguous, check_run_id, new_run_id
from brain.runs.store_query import check_status as _check_status
from brain.runs.store_schema import COLUMNS, dumps, entry_key, loads, record_of, row_of
from brain.store.engine import Database, StoreUnavailable
from brain.store.location import StoreLocation, parse_store, store_location

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["RunStore", "entry_key", "new_run_id"]

DEFAULT_TIMEOUT = 10.0  # seconds a write waits for another writer; BRAIN_STORE_TIMEOUT overrides
_AMBIGUOUS_SHOWN = 10
_BEST_EFFORT_SECONDS = 0.2  # how long a read-only command waits to reconcile orphans


class RunStore:
    """The run store at `where` (a path, a URL, a StoreLocation; default: the one in force,
    see brain.store.location), created and migrated on first use.

    Use as a context manager or call `close()`. Every method raises `Busy` when another
    writer holds a SQLite store past the timeout, `StoreUnavailable` (exit 4) when a
    PostgreSQL store stays unreachable through the retries, and `EnvironmentFailure` when the
    store cannot be opened or is not a readable database.
    """

    def __init__(self, where: Path | str | StoreLocation | None = None, *,
                 timeout: float | None = None) -> None:
        if where is None:
            self.location = store_location()
        elif isinstance(where, StoreLocation):
            self.location = where
        else:
            self.location = parse_store(str(where))
        self.path = self.location.path  # None for PostgreSQL
        self.timeout = timeout if timeout is not None else _timeout_from_environment()
        self._db = Database(self.location, timeout=self.timeout)
        self._spooled: dict[str, dict[str, Any]] = {}  # runs of this store kept locally
        self._synced = False
        self._kept_keys: set[str] = set()  # statements this object has kept (brain.store.kept)

    @property
    def shown(self) -> str:
        """The store as messages name it (a password masked)."""
        return self.location.shown

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (a later call reopens them)."""
        self._db.close()

    # -- writes ----------------------------------------------------------------------------

    def insert(self, record: RunRecord, *, spool: bool = False) -> bool:
        """Add a new record (usually `status="running"`); its id must be new. With `spool`,
        a store that stays unreachable gets it later (brain.store.spool): returns False then,
        True when the store took it."""
        _check_status(record.status)
        row = row_of(record)
        tries: builtins.list[int] = []

        def add(db: Connection) -> bool:
            tries.append(1)
            return _insert_once(db, row, retried=len(tries) > 1)

        try:
            self.sync_pending()
            stored = self._db.write(add)
        except StoreUnavailable:
            if not spool:
                raise
            from brain.store.spool import keep

            keep(row, "start")
            self._spooled[record.id] = row
            return False
        if not stored:
            raise BrainError(f"run id {record.id} already exists in {self.shown}",
                             hint="mint ids with brain.runs.store.new_run_id()")
        return True

    def insert_many(self, records: Iterable[RunRecord]) -> int:
        """Add many new records in one transaction (imports, benchmarks); returns how many."""
        from brain.store.tables import runs

        rows = []
        for record in records:
            _check_status(record.status)
            rows.append(row_of(record))
        if not rows:
            return 0

        def add(db: Connection) -> int:
            from sqlalchemy import exc

            try:
                db.execute(runs.insert(), rows)
            except exc.IntegrityError:
                raise BrainError(f"a run id is already in {self.shown}; nothing was added") \
                    from None
            return len(rows)

        return self._db.write(add)

    def finish(self, run_id: str, status: str, exit_code: int | None, ended_at: float,
               extra: dict[str, Any] | None = None) -> None:
        """Record how run `run_id` (a full id) ended; `extra` is merged into its extra."""
        _check_status(status)
        spooled = self._spooled.get(run_id)
        if spooled is not None:  # its start waits in the spool: so does its end
            self._spool_end(spooled, status, exit_code, ended_at, extra)
            return
        from sqlalchemy import select, update

        from brain.store.tables import runs

        def end(db: Connection) -> None:
            found = db.execute(select(runs.c.extra).where(runs.c.id == run_id)).first()
            if found is None:
                raise InvalidInput(f"no run with id {run_id!r} in {self.shown}")
            merged = {**loads(found[0], {}), **(extra or {})}
            db.execute(update(runs).where(runs.c.id == run_id).values(
                status=status, exit_code=exit_code, ended_at=ended_at, extra=dumps(merged)))

        self._db.write(end)

    def _spool_end(self, row: dict[str, Any], status: str, exit_code: int | None,
                   ended_at: float, extra: dict[str, Any] | None) -> None:
        from brain.store.spool import keep

        merged = {**loads(row["extra"], {}), **(extra or {})}
        keep({**row, "status": status, "exit_code": exit_code, "ended_at": ended_at,
              "extra": dumps(merged)}, "end")

    def sync_spool(self) -> int:
        """Copy the runs spooled on this machine into the store; returns how many files."""
        from brain.store.spool import done, pending

        copied = 0
        for path, row in pending():
            if row.get("id") in self._spooled:
                continue  # this process's own run, still going: its end comes later
            kind = "end" if path.name.endswith(".end.json") else "start"
            self._db.write(partial(_upsert, row=row, kind=kind))
            done(path)
            copied += 1
        if copied:
            from brain.runs.store_query import INSERT_NEW, OVERWRITE, insert_new, overwrite

            self._keep(INSERT_NEW, insert_new(self.location.kind))
            self._keep(OVERWRITE, overwrite())
        return copied

    def sync_pending(self) -> None:
        """Sync the spool once per store object (every read and write does this first); when
        the sync fails the records stay in the spool, the failure is kept beside it, and the
        command ends with one line on stderr saying what waits (brain.store.spool)."""
        if self._synced:
            return
        self._synced = True
        from brain.store import spool

        if not spool.has_pending():
            return
        try:
            self.sync_spool()
        except BrainError as error:  # down, busy, refused (no INSERT right): left for later
            self._synced = not isinstance(error, StoreUnavailable)
            spool.note_failure(self.shown, error.message)
            spool.leave_note(self.shown)  # what waits, on stderr when the command ends
            return
        spool.clear_failure()
        spool.leave_note(self.shown, left_over_only=True)

    def reconcile(self, *, best_effort: bool = False) -> int:
        """Mark `running` records of this host whose owning process is gone as `unknown`.

        Returns how many changed. A brain killed mid-run (SIGKILL, power loss) cannot finish
        its record; this is how such orphans stop looking alive. With `best_effort` (what
        read-only commands use) a busy store is waited on only briefly and then left alone:
        showing a stale `running` beats failing a `brain runs list`.
        """
        from sqlalchemy import and_, update

        from brain.errors import Busy
        from brain.runs.provenance import host_name, process_alive
        from brain.runs.store_query import RUNNING_HERE, running_here
        from brain.store.tables import runs

        self.sync_pending()
        query = running_here()
        rows = self._db.read(lambda db: db.execute(query, {"host": host_name()}).fetchall())
        self._keep(RUNNING_HERE, query)
        orphans = [run_id for run_id, pid, started in rows if not process_alive(pid, started)]
        if not orphans:
            return 0
        statement = update(runs).where(and_(runs.c.id.in_(orphans),
                                            runs.c.status == "running")).values(
            status="unknown")
        try:
            self._db.write(lambda db: db.execute(statement),
                           wait=_BEST_EFFORT_SECONDS if best_effort else None)
        except Busy:
            if not best_effort:
                raise
            return 0
        return len(orphans)

    # -- reads -----------------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        """The record whose id is `run_id` or starts with it (unique prefix)."""
        from sqlalchemy import and_, func, select

        from brain.store.tables import runs

        prefix = check_run_id(run_id)
        # Ids are 16 lowercase hex digits: [prefix000..., prefixfff...] holds exactly those
        # starting with it, in any collation that orders digits and letters, and uses the key.
        within = and_(runs.c.id >= prefix, runs.c.id <= prefix.ljust(16, "f"))
        query = select(*(runs.c[name] for name in COLUMNS)).where(within).order_by(
            runs.c.id).limit(_AMBIGUOUS_SHOWN + 1)
        self.sync_pending()
        rows = [row for row in self._db.read(lambda db: db.execute(query).fetchall())
                if row[0].startswith(prefix)]
        if not rows:
            raise InvalidInput(f"no run with id {run_id!r}",
                               hint="`brain runs list` shows the ids of recent runs")
        if len(rows) > 1 and rows[0][0] != prefix:
            count = select(func.count()).select_from(runs).where(within)
            total = int(self._db.read(lambda db: db.execute(count).scalar_one()))
            raise ambiguous(prefix, [row[0] for row in rows], total)
        return record_of(rows[0])

    def neighbours(self, run_id: str) -> tuple[str | None, str | None]:
        """The ids just before and just after `run_id` in id order (None at either end)."""
        from brain.runs.store_query import NEIGHBOURS, neighbours

        query = neighbours()
        found = self._db.read(lambda db: db.execute(query, {"run_id": run_id}).one())
        self._keep(NEIGHBOURS, query)
        return found[0], found[1]

    def list(self, project: str | None = None, namespace: str | None = None,
             entry: str | None = None, status: str | None = None,
             limit: int = 20, sweep: str | None = None,
             under: Path | None = None, user: str | None = None,
             since: float | None = None) -> builtins.list[RunRecord]:
        """Records newest first, filtered in the database. `project` may be `name` or
        `namespace/name`; `sweep` keeps the points of one sweep (brain.runs.sweep); `under`:
        only runs of projects in that folder (a workspace); `user`: who ran them; `since`:
        started at or after these unix seconds."""
        from brain.runs.store_query import list_filters, list_query

        filters = list_filters(project=project, namespace=namespace, entry=entry,
                               status=status, limit=limit, sweep=sweep, under=under,
                               user=user, since=since)
        query = list_query(self.location.kind, filters.shape)
        self.sync_pending()
        rows = self._db.read(lambda db: db.execute(query, filters.values).fetchall())
        self._keep(filters.key, query)
        return [record_of(row) for row in rows]

    def _keep(self, key: str, statement: Any) -> None:
        """Keep `statement` compiled for the readers and the sync that skip SQLAlchemy
        (brain.runs.history, brain.runs.store_sync)."""
        if key in self._kept_keys:
            return  # once per store object: a table of runs asks for many neighbours
        from brain.store import kept

        kept.keep(self._db.dialect(), key, statement)
        self._kept_keys.add(key)

    def count(self) -> int:
        """How many records the store holds."""
        from sqlalchemy import func, select

        from brain.store.tables import runs

        self.sync_pending()
        found: int = self._db.read(
            lambda db: db.execute(select(func.count()).select_from(runs)).scalar_one())
        return found

    def integrity_check(self) -> builtins.list[str]:
        """SQLite's `PRAGMA integrity_check`: the problems found, empty when the file is sound
        (PostgreSQL checks its own pages: always empty there)."""
        if not self._db.is_sqlite:
            return []
        rows = self._db.read(lambda db: db.exec_driver_sql("PRAGMA integrity_check").fetchall())
        problems = [str(row[0]) for row in rows]
        return [] if problems == ["ok"] else problems

    def schema_version(self) -> int:
        """The schema version of the store (migrating it first if needed)."""
        return int(self._db.revision() or 0)

    @property
    def database(self) -> Database:
        """The opened store, for `brain store migrate|check` (brain.store.transfer)."""
        return self._db


def _insert_once(db: Connection, row: dict[str, Any], *, retried: bool) -> bool:
    """Insert `row` unless its id is there; True when it was added, or, on a retry, when the
    row there is this very row (the first attempt's commit went through, its answer was
    lost with the connection)."""
    from sqlalchemy import select

    from brain.store.tables import runs

    if _insert_ignoring_duplicate(db, row):
        return True
    if not retried:
        return False
    there = db.execute(select(runs.c.pid, runs.c.started_at, runs.c.host).where(
        runs.c.id == row["id"])).first()
    return there is not None and tuple(there) == (row["pid"], row["started_at"], row["host"])


def _insert_ignoring_duplicate(db: Connection, row: dict[str, Any]) -> bool:
    from brain.runs.store_query import bound, insert_new

    return db.execute(insert_new(db.dialect.name), bound(row)).first() is not None


def _upsert(db: Connection, *, row: dict[str, Any], kind: str) -> None:
    """A spooled start is added once; a spooled end is added or overwrites its start."""
    from brain.runs.store_query import bound, overwrite

    added = _insert_ignoring_duplicate(db, row)
    if not added and kind == "end":
        db.execute(overwrite(), bound(row))


def _timeout_from_environment() -> float:
    from brain import settings

    return settings.seconds("BRAIN_STORE_TIMEOUT")
