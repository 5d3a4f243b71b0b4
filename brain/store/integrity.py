"""`brain store check`: what a store holds and whether it is sound (schema version, rows
per table, orphan rows, SQLite's own page check, records waiting in the local spool)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from brain.store.engine import HEAD, Database


@dataclass
class StoreReport:
    """The state of one store."""

    store: str
    kind: str
    schema_version: str
    counts: dict[str, int]
    problems: list[str] = field(default_factory=list)
    spooled: int = 0  # run records on this machine waiting for the store
    spool_unreadable: list[str] = field(default_factory=list)  # spool files no sync can read
    last_sync_error: dict[str, Any] | None = None  # the last failed sync (brain.store.spool)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"store": self.store, "kind": self.kind, "schema_version": self.schema_version,
                "latest_schema_version": HEAD, "counts": self.counts,
                "problems": self.problems, "spooled": self.spooled,
                "spool_unreadable": self.spool_unreadable,
                "last_sync_error": self.last_sync_error, "ok": self.ok}


def check_store(database: Database) -> StoreReport:
    """Examine `database` (opening and migrating it first)."""
    from sqlalchemy import func, select

    from brain.runs.record import STATUSES
    from brain.store.tables import TABLES, launches, runs

    revision = database.revision()
    counts: dict[str, int] = {}
    for table in TABLES:
        query = select(func.count()).select_from(table)
        counts[table.name] = int(database.read(partial(_scalar, query=query)))
    problems: list[str] = []
    if database.is_sqlite:
        pages = database.read(lambda db: db.exec_driver_sql("PRAGMA integrity_check")
                              .fetchall())
        found = [str(row[0]) for row in pages]
        if found != ["ok"]:
            problems += [f"SQLite integrity check: {line}" for line in found[:20]]
    strange = database.read(lambda db: db.execute(
        select(func.count()).select_from(runs).where(runs.c.status.not_in(STATUSES)))
        .scalar_one())
    if strange:
        problems.append(f"{strange} run(s) with a status brain does not know")
    backwards = database.read(lambda db: db.execute(
        select(func.count()).select_from(runs).where(runs.c.ended_at < runs.c.started_at))
        .scalar_one())
    if backwards:
        problems.append(f"{backwards} run(s) that ended before they started")
    if counts["launches"] and counts["runs"]:
        # A launch names the run it made; in a store holding both, that run must be there.
        orphans = database.read(lambda db: db.execute(
            select(func.count()).select_from(launches).where(
                launches.c.run_id.is_not(None),
                ~select(runs.c.id).where(runs.c.id == launches.c.run_id).exists()))
            .scalar_one())
        if orphans:
            problems.append(f"{orphans} launch(es) naming a run the store does not hold")
    from brain.store.spool import survey

    spool = survey()
    if spool.folder_problem:
        problems.append(f"the local run spool cannot be read: {spool.folder_problem}")
    if spool.unreadable:
        problems.append(f"{len(spool.unreadable)} file(s) in the local spool are not run "
                        f"records brain can read: {', '.join(spool.unreadable[:5])}")
    return StoreReport(database.location.shown, database.location.kind, revision, counts,
                       problems, spool.runs, list(spool.unreadable), spool.last_error)


def _scalar(db: Any, *, query: Any) -> int:
    return int(db.execute(query).scalar_one())
