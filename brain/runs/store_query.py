"""The run store's statements that brain also keeps compiled (brain.store.kept): the query
behind `brain runs list` (every filter a SQL condition answered by an index, the same
statement for SQLite and PostgreSQL but one JSON lookup), the reconciling read, and the two
writes that copy the spool in.

Every value is a bound parameter, so one compiled text per statement (per filter shape for
the list) serves every call, and brain.runs.history and brain.runs.store_sync can run it
again through the bare driver, without SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from brain.runs.store_schema import COLUMNS, entry_key

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

MAX_LIMIT = 1_000_000_000
RUNNING_HERE = "runs.running_here"  # the keys the statements below are kept under
INSERT_NEW = "runs.insert_new"
OVERWRITE = "runs.overwrite"
NEIGHBOURS = "runs.neighbours"


class ListFilters(NamedTuple):
    """Which filters a list has (`shape`, sorted names) and the values bound to them."""

    shape: tuple[str, ...]
    values: dict[str, Any]

    @property
    def key(self) -> str:
        """The name its compiled statement is kept under."""
        return "runs.list:" + ",".join(self.shape)


def list_filters(*, project: str | None, namespace: str | None, entry: str | None,
                 status: str | None, limit: int, sweep: str | None, under: Path | None,
                 user: str | None, since: float | None) -> ListFilters:
    """The filters of one `runs list`, checked (InvalidInput for a bad status or limit)."""
    from brain.errors import InvalidInput

    if status is not None:
        check_status(status)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    values: dict[str, Any] = {"limit": limit}
    if under is not None:  # a prefix compared as text: no LIKE wildcards in a path
        top = str(under).rstrip(os.sep)
        values.update(under=top, under_prefix=top + os.sep, under_length=len(top) + 1)
    if project is not None and "/" in project:
        namespace, project = project.split("/", 1)
    given = {"project": project, "namespace": namespace,
             "entry": None if entry is None else entry_key(entry), "status": status,
             "user": user, "since": since, "sweep": None if sweep is None else sweep.strip()}
    values.update({name: value for name, value in given.items() if value is not None})
    return ListFilters(tuple(sorted(values)), values)


def check_status(status: str) -> None:
    """InvalidInput unless `status` is one a run can have."""
    from brain.errors import InvalidInput
    from brain.runs.record import STATUSES

    if status not in STATUSES:
        raise InvalidInput(f"unknown run status {status!r}",
                           hint=f"use one of: {', '.join(STATUSES)}")


def list_query(dialect: str, shape: tuple[str, ...]) -> Select[Any]:
    """SELECT the runs matching the filters named in `shape`, newest first, at most
    `:limit`; every value is a bound parameter named as in ListFilters.values."""
    from sqlalchemy import Integer, bindparam, func, or_, select

    from brain.store.tables import runs

    columns = {"project": runs.c.project, "namespace": runs.c.namespace,
               "entry": runs.c.entry_key, "status": runs.c.status, "user": runs.c.user}
    clauses: list[Any] = []
    if "under" in shape:
        length = bindparam("under_length", type_=Integer)
        clauses.append(or_(runs.c.project_path == bindparam("under"),
                           func.substr(runs.c.project_path, 1, length)
                           == bindparam("under_prefix")))
    clauses.extend(column == bindparam(name) for name, column in columns.items()
                   if name in shape)
    if "since" in shape:
        clauses.append(runs.c.started_at >= bindparam("since"))
    if "sweep" in shape:
        # The sweep id lives in `extra` (no column: a sweep is rare, a schema change is not)
        clauses.append(_json_text(dialect, runs.c.extra, "sweep") == bindparam("sweep"))
    query = select(*(runs.c[name] for name in COLUMNS))
    if clauses:
        query = query.where(*clauses)
    return query.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(
        bindparam("limit", type_=Integer))


def running_here() -> Select[Any]:
    """SELECT id, pid, start of the runs still `running` on host `:host` (reconciling)."""
    from sqlalchemy import and_, bindparam, select

    from brain.store.tables import runs

    return select(runs.c.id, runs.c.pid, runs.c.started_at).where(
        and_(runs.c.status == "running", runs.c.host == bindparam("host")))


def neighbours() -> Select[Any]:
    """SELECT the ids just before and just after `:run_id` in id order (NULL at either end)."""
    from sqlalchemy import bindparam, func, select

    from brain.store.tables import runs

    before = select(func.max(runs.c.id)).where(runs.c.id < bindparam("run_id"))
    after = select(func.min(runs.c.id)).where(runs.c.id > bindparam("run_id"))
    return select(before.scalar_subquery(), after.scalar_subquery())


def insert_new(dialect: str) -> Any:
    """INSERT a runs row (values `:v_<column>`) unless its id is there; RETURNING its id when
    it went in (drivers differ on rowcount here)."""
    from brain.store.tables import runs

    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert(runs).values(_values()).on_conflict_do_nothing(
        index_elements=["id"]).returning(runs.c.id)


def overwrite() -> Any:
    """UPDATE the runs row `:v_id` with every other column's `:v_<column>`."""
    from sqlalchemy import bindparam, update

    from brain.store.tables import runs

    values = _values()
    del values["id"]
    return update(runs).where(runs.c.id == bindparam("v_id")).values(values)


def bound(row: dict[str, Any]) -> dict[str, Any]:
    """The values of a runs row for insert_new and overwrite (a column the row lacks, as
    in a spool file of an older brain, is NULL; keys that are not columns are dropped)."""
    return {f"v_{name}": row.get(name) for name in COLUMNS}


def _values() -> dict[str, Any]:
    # Named apart from the columns: SQLAlchemy keeps a column's own name for itself.
    from sqlalchemy import bindparam

    from brain.store.tables import runs

    return {name: bindparam(f"v_{name}", type_=runs.c[name].type) for name in COLUMNS}


def _json_text(dialect: str, column: Any, key: str) -> Any:
    """`column`'s JSON text, field `key`, as text (NULL when absent)."""
    from sqlalchemy import Text, func, literal_column

    if dialect == "postgresql":
        from sqlalchemy import cast
        from sqlalchemy.dialects.postgresql import JSON

        # ->> answers text: typed so, a value compared with it is bound as text, not JSON
        return cast(column, JSON).op("->>", return_type=Text)(literal_column(f"'{key}'"))
    return func.json_extract(column, f"$.{key}")
