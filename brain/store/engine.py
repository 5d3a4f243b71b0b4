"""Opening the store: one SQLAlchemy Core engine for SQLite or PostgreSQL, its schema brought
up to date by the Alembic migrations in brain/store/migrations, and every statement run
through one retry rule.

SQLite (embedded, one file, WAL): readers never block writers; writes take `BEGIN
IMMEDIATE` so two brains never both read-then-upgrade a lock and deadlock. Waiting for the
write lock is brain's, not SQLite's: SQLite's busy handler backs a waiter off to 100 ms naps,
so under many writers a waiter that has backed off keeps losing the lock to newcomers polling
every millisecond and starves past any timeout (50 writers lost 112 of 20,000 records that
way). Brain asks for the lock without waiting and retries every 1-20 ms (jittered, so every
waiter stays in the race) until BRAIN_STORE_TIMEOUT, past which `Busy` (exit 4).

PostgreSQL (shared): a lost or refused connection is retried BRAIN_STORE_RETRIES times with
exponential backoff (0.25 s, 0.5 s, 1 s, ...) inside BRAIN_STORE_RETRY_SECONDS in all, then
`StoreUnavailable` (exit 4) with one line naming the store, its password masked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from brain.errors import BrainError, Busy, EnvironmentFailure
from brain.store.location import StoreLocation, masked

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect, Engine

T = TypeVar("T")

HEAD = "0003"  # the newest migration in brain/store/migrations/versions
REVISION_SQL = "SELECT version_num FROM alembic_version"
# NORMAL is durable against crashes in WAL mode; only power loss can drop the last commits,
# which costs a run record at worst, never the file. (Also set by brain.store.kept.)
SQLITE_SETTINGS = ("PRAGMA synchronous = NORMAL",)
KNOWN = ("0001", "0002", "0003")
_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x62726169  # pg_advisory_xact_lock key: one migrating brain at a time
_FIRST_BACKOFF = 0.25
_LOCK_NAP = (0.001, 0.02)  # SQLite write-lock retries: first and longest nap, in seconds
_NOT_RETRIED = ("28P01", "28000", "3D000", "42501")  # bad password or role, no database


class StoreUnavailable(Busy):
    """The shared store stayed unreachable through every retry (exit 4)."""


class Database:
    """A store's engine, opened (and migrated) on first use; `read`/`write` run an action
    on a connection under the retry rule. Close it (or use it as a context manager)."""

    def __init__(self, location: StoreLocation, *, timeout: float) -> None:
        self.location = location
        self.timeout = timeout
        self._engine: Engine | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.location.kind == "sqlite"

    def close(self) -> None:
        """Release every pooled connection (a later call reopens them)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def read(self, action: Callable[[Connection], T]) -> T:
        """`action(connection)` in a read transaction, retried by the rule."""
        return self._attempt(lambda engine: self._run(engine, action, write=False))

    def write(self, action: Callable[[Connection], T], *, wait: float | None = None) -> T:
        """`action(connection)` in one write transaction (committed, or rolled back on error);
        `wait` shortens how long SQLite waits for another writer."""
        return self._attempt(lambda engine: self._run(engine, action, write=True, wait=wait),
                             wait=wait)

    def dialect(self) -> Dialect:
        """The SQLAlchemy dialect of this store (opening it)."""
        return self._opened().dialect

    def revision(self) -> str:
        """The migration the store is at (after migrating it)."""
        found = self.read(_revision)
        return found or ""

    # -- plumbing --------------------------------------------------------------------------

    def _run(self, engine: Engine, action: Callable[[Connection], T], *, write: bool,
             wait: float | None = None) -> T:
        with engine.connect() as connection:
            if write:
                connection.info["brain_write"] = True
                connection.info["brain_wait"] = self.timeout if wait is None else wait
            try:
                with connection.begin():
                    return action(connection)
            finally:
                connection.info.pop("brain_write", None)
                connection.info.pop("brain_wait", None)

    def _attempt(self, step: Callable[[Engine], T], *, wait: float | None = None) -> T:
        """Run `step` with the engine; SQLite "locked" answers are retried until the busy
        timeout, lost PostgreSQL connections by the retry rule; errors become BrainErrors."""
        from sqlalchemy import exc

        retries, budget = _retry_bounds()
        started = time.monotonic()
        attempts = 0
        backoff = _FIRST_BACKOFF
        while True:
            attempts += 1
            try:
                return step(self._opened())
            except exc.DBAPIError as error:
                if self.is_sqlite:
                    patience = self.timeout if wait is None else wait
                    if _sqlite_locked_at_once(error) and \
                            time.monotonic() - started < patience:
                        time.sleep(0.005 + _jitter() / 20)
                        continue
                    raise _sqlite_error(error, self.location) from None
                if not _retryable(error):
                    raise _postgres_error(error, self.location) from None
                elapsed = time.monotonic() - started
                if attempts >= retries or elapsed + backoff > budget:
                    raise StoreUnavailable(
                        f"run store {self.location.shown} is unreachable after {attempts} "
                        f"attempt(s) over {elapsed:.1f} s: {_first_line(error, self.location)}",
                        hint="check the PostgreSQL server is up; BRAIN_STORE_RETRIES and "
                        "BRAIN_STORE_RETRY_SECONDS bound the retries") from None
                time.sleep(backoff)
                backoff *= 2

    def _opened(self) -> Engine:
        if self._engine is None:
            engine = _sqlite_engine(self.location, self.timeout) if self.is_sqlite \
                else _postgres_engine(self.location)
            try:
                _ensure_schema(engine, self.location)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine


def _retry_bounds() -> tuple[int, float]:
    from brain import settings

    return max(1, settings.count("BRAIN_STORE_RETRIES")), \
        settings.seconds("BRAIN_STORE_RETRY_SECONDS")


def _sqlite_engine(location: StoreLocation, timeout: float) -> Engine:
    from sqlalchemy import create_engine, event

    path = location.path
    assert path is not None
    if path.is_dir():
        raise EnvironmentFailure(f"run store {path} is a folder, not a database file",
                                 hint="point BRAIN_STORE at a file path")
    from brain.statefs import check_database

    check_database(path)  # UnsafeState (exit 3) for a link where the store goes
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EnvironmentFailure(f"cannot create the folder of the run store "
                                 f"{path}: {error.strerror}") from None
    # No busy timeout in SQLite: brain does the waiting (see the module docstring).
    engine = create_engine(location.url, connect_args={"timeout": 0,
                                                       "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def prepare(dbapi: Any, _record: Any) -> None:
        # Transactions are begun by brain (below), not by the driver.
        dbapi.isolation_level = None
        _sqlite_wal(dbapi, timeout)
        for setting in SQLITE_SETTINGS:
            dbapi.execute(setting)

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        if connection.info.get("brain_write"):
            _begin_immediate(connection, connection.info.get("brain_wait", timeout))
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def _begin_immediate(connection: Connection, patience: float) -> None:
    """Take SQLite's write lock, retrying "locked" with short jittered naps for up to
    `patience` seconds; past that the last "locked" error goes up (`Busy`, exit 4)."""
    from sqlalchemy import exc

    deadline = time.monotonic() + patience
    nap = _LOCK_NAP[0]
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except exc.OperationalError as error:
            if not _sqlite_locked_at_once(error) or time.monotonic() >= deadline:
                raise
        # Full jitter up to a low cap: no waiter drifts to long naps and loses every race.
        time.sleep(min(nap * (0.5 + _jitter()), max(0.0, deadline - time.monotonic())))
        nap = min(nap * 2, _LOCK_NAP[1])


def _jitter() -> float:
    """A uniform number in [0, 1) from the OS (no shared random state across forks)."""
    return int.from_bytes(os.urandom(2)) / 65536


def _sqlite_wal(dbapi: Any, timeout: float) -> None:
    """Switch a file to WAL. Brains racing to switch a new file deadlock on their locks, and
    SQLite then answers one of them "locked" at once rather than calling the busy handler
    (see sqlite3_busy_handler); such answers are retried until the timeout."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        try:
            if dbapi.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                dbapi.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005 + _jitter() / 20)


def _postgres_engine(location: StoreLocation) -> Engine:
    from brain.extras import require_extra

    require_extra("postgres", "a PostgreSQL store")
    from sqlalchemy import create_engine

    # pre_ping: a pooled connection the server dropped (a restart) is replaced before use.
    return create_engine(location.url, pool_pre_ping=True,
                         connect_args={"connect_timeout": 5,
                                       "application_name": "brain"})


def _revision(connection: Connection) -> str | None:
    from sqlalchemy import exc, text

    try:
        with connection.begin_nested():
            found = connection.execute(text(REVISION_SQL)).scalar()
    except (exc.OperationalError, exc.ProgrammingError):
        return None  # no such table: a new store, or one made by an older brain
    return None if found is None else str(found)


def _ensure_schema(engine: Engine, location: StoreLocation) -> None:
    """Bring the store to HEAD unless it is there (one query on the usual path)."""
    with engine.connect() as connection:
        current = _revision(connection)
        connection.rollback()
    if current == HEAD:
        return
    _check_known(current, location)
    with engine.connect() as connection:
        connection.info["brain_write"] = True
        with connection.begin():
            if engine.dialect.name == "postgresql":
                from sqlalchemy import text

                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _PG_MIGRATION_LOCK})
            # Re-read inside the write lock: another brain may have migrated meanwhile.
            current = _revision(connection)
            _check_known(current, location)
            if current != HEAD:
                _legacy_check(connection, location)
                _upgrade(connection)


def _check_known(revision: str | None, location: StoreLocation) -> None:
    if revision is not None and revision not in KNOWN:
        shown = str(int(revision)) if revision.isdigit() else revision
        raise EnvironmentFailure(
            f"run store {location.shown} has schema version {shown}, newer than this "
            f"brain understands ({int(HEAD)})", hint="upgrade brain")


def _legacy_check(connection: Connection, location: StoreLocation) -> None:
    """A file made by an older brain carries its own version table; refuse a newer one."""
    from sqlalchemy import inspect, text

    if not inspect(connection).has_table("schema_version"):
        return
    legacy = connection.execute(text("SELECT max(version) FROM schema_version")).scalar()
    if legacy is not None and int(legacy) > 2:
        raise EnvironmentFailure(
            f"run store {location.shown} has schema version {legacy}, newer than this "
            f"brain understands ({int(HEAD)})", hint="upgrade brain")


def _upgrade(connection: Connection) -> None:
    # Alembic is imported only here: a store at HEAD never pays for it.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_locked_at_once(error: Exception) -> bool:
    return "locked" in str(getattr(error, "orig", error)).lower()


def _retryable(error: Exception) -> bool:
    from sqlalchemy import exc

    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) in _NOT_RETRIED:
        return False
    text = str(orig).lower()
    if "authentication failed" in text or "does not exist" in text:
        return False
    return isinstance(error, exc.OperationalError | exc.InterfaceError) or bool(
        getattr(error, "connection_invalidated", False))


def _first_line(error: Exception, location: StoreLocation) -> str:
    text = str(getattr(error, "orig", error)).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return _scrub(line, location)


def _scrub(text: str, location: StoreLocation) -> str:
    """A driver message with the store's password (if any) masked."""
    from urllib.parse import unquote, urlsplit

    password = urlsplit(location.url).password
    if password:
        text = text.replace(unquote(password), "***").replace(password, "***")
    return text.replace(location.url, masked(location.url))


def _postgres_error(error: Exception, location: StoreLocation) -> BrainError:
    line = _first_line(error, location)
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) in _NOT_RETRIED or "authentication failed" in line \
            or "does not exist" in line:
        return EnvironmentFailure(f"cannot use the run store {location.shown}: {line}",
                                  hint="check the user, password and database of the URL")
    return BrainError(f"run store {location.shown}: {line}")


def _sqlite_error(error: Exception, location: StoreLocation) -> BrainError:
    path = location.shown
    text = str(getattr(error, "orig", error))
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
