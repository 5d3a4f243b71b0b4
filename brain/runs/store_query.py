"""The query behind `brain runs list`: every filter a SQL condition, answered by an index
(brain.store.tables), the same statement for SQLite and PostgreSQL but one JSON lookup."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.runs.store_schema import COLUMNS, entry_key

if TYPE_CHECKING:
    from sqlalchemy.sql import Select


def list_query(dialect: str, *, project: str | None, namespace: str | None,
               entry: str | None, status: str | None, limit: int, sweep: str | None,
               under: Path | None, user: str | None, since: float | None) -> Select[Any]:
    """SELECT the runs matching every filter given, newest first, at most `limit`."""
    from sqlalchemy import func, or_, select

    from brain.store.tables import runs

    clauses: list[Any] = []
    if under is not None:  # a prefix compared as text: no LIKE wildcards in a path
        top = str(under).rstrip(os.sep)
        clauses.append(or_(runs.c.project_path == top,
                           func.substr(runs.c.project_path, 1, len(top) + 1) == top + os.sep))
    if project is not None:
        if "/" in project:
            namespace, project = project.split("/", 1)
        clauses.append(runs.c.project == project)
    if namespace is not None:
        clauses.append(runs.c.namespace == namespace)
    if entry is not None:
        clauses.append(runs.c.entry_key == entry_key(entry))
    if status is not None:
        clauses.append(runs.c.status == status)
    if user is not None:
        clauses.append(runs.c.user == user)
    if since is not None:
        clauses.append(runs.c.started_at >= since)
    if sweep is not None:
        # The sweep id lives in `extra` (no column: a sweep is rare, a schema change is not)
        clauses.append(_json_text(dialect, runs.c.extra, "sweep") == sweep.strip())
    query = select(*(runs.c[name] for name in COLUMNS))
    if clauses:
        query = query.where(*clauses)
    return query.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)


def _json_text(dialect: str, column: Any, key: str) -> Any:
    """`column`'s JSON text, field `key`, as text (NULL when absent)."""
    from sqlalchemy import func, literal_column

    if dialect == "postgresql":
        from sqlalchemy import cast
        from sqlalchemy.dialects.postgresql import JSON

        return cast(column, JSON).op("->>")(literal_column(f"'{key}'"))
    return func.json_extract(column, f"$.{key}")
