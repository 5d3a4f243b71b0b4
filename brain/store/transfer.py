"""`brain store migrate`: copy stores into another (a SQLite history into PostgreSQL), by
primary key, in committed batches, then verify that every source row is in the target.

Idempotent: a row whose key (or another unique value) the target already holds is left
alone, so a copy stopped half way (Ctrl-C, a lost connection) is finished by running it
again, never duplicated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from brain.store.engine import Database

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

BATCH = 1000  # rows per committed transaction


@dataclass
class TableCopy:
    """What one table's copy did: rows in the sources, rows added, rows of the sources
    found in the target afterwards (must equal `source`)."""

    table: str
    source: int = 0
    added: int = 0
    verified: int = 0

    @property
    def ok(self) -> bool:
        return self.source == self.verified

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "ok": self.ok}


def copy_stores(sources: list[Database], target: Database, *,
                batch: int = BATCH) -> list[TableCopy]:
    """Copy every table of every source into `target`; one TableCopy per table."""
    from brain.store.tables import TABLES

    results = []
    for table in TABLES:
        result = TableCopy(table.name)
        for source in sources:
            _copy_table(table, source, target, result, batch)
        results.append(result)
    return results


def _copy_table(table: Table, source: Database, target: Database, result: TableCopy,
                batch: int) -> None:
    from sqlalchemy import func, select

    key = _key(table)
    after: str | None = None
    while True:
        query = select(table).order_by(key).limit(batch)
        if after is not None:
            query = query.where(key > after)
        rows = source.read(partial(_rows, query=query))
        if not rows:
            return
        after = rows[-1][key.name]
        result.source += len(rows)
        result.added += target.write(partial(_add_missing, table=table, rows=rows))
        ids = [row[key.name] for row in rows]
        counted = select(func.count()).select_from(table).where(key.in_(ids))
        result.verified += target.read(partial(_scalar, query=counted))


def _key(table: Table) -> Any:
    """The one text column that is `table`'s primary key (every copied table has one)."""
    (column,) = table.primary_key.columns
    return column


def _rows(db: Connection, *, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.execute(query).fetchall()]


def _scalar(db: Connection, *, query: Any) -> int:
    return int(db.execute(query).scalar_one())


def _add_missing(db: Connection, *, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose key `table` lacks; returns how many that was."""
    from sqlalchemy import func, select

    key = _key(table)
    # Drivers differ in what an executemany's rowcount means: count before instead.
    there = db.execute(select(func.count()).select_from(table).where(
        key.in_([row[key.name] for row in rows]))).scalar_one()
    if db.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    if there < len(rows):
        # Any conflict, not only the key's: a token's digest is unique too.
        db.execute(insert(table).on_conflict_do_nothing(), rows)
    return len(rows) - int(there)
