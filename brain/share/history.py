"""The hub's launch history: the `launches` table of the store (brain.store), in a SQLite
file of the hub's own (`hub/launches.db`) or, with a PostgreSQL store in force, there beside
the runs of the team.

Kept apart from the run records: a launch exists before its run does (while fetching and
building), and may end without one (a refused commit, a broken spec).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FINAL_STATUSES = ("succeeded", "failed", "timed-out", "interrupted", "stopped", "unknown")

_COLUMNS = ("id", "created_at", "ended_at", "status", "link", "repo", "commit_sha", "path",
            "entry", "params", "log_path", "exit_code", "run_id", "project_dir", "app_url",
            "message", "outputs")


@dataclass
class Launch:
    """One launch as the hub tracks it."""

    id: str
    created_at: float
    status: str  # running | succeeded | failed | timed-out | interrupted | stopped | unknown
    link: str
    repo: str
    commit_sha: str
    path: str
    entry: str | None
    params: dict[str, str]
    log_path: str
    ended_at: float | None = None
    exit_code: int | None = None
    run_id: str | None = None
    project_dir: str | None = None
    app_url: str | None = None
    message: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class LaunchHistory:
    """The launches table; safe to share between the hub's threads (one pooled connection
    per thread)."""

    def __init__(self, path: Path) -> None:
        from brain.share.hub_store import hub_database

        self.path = path
        self._db = hub_database(path, "launch history")

    def add(self, launch: Launch) -> None:
        """Insert a new launch."""
        from brain.store.tables import launches

        row = _row_of(launch)
        self._db.write(lambda db: db.execute(launches.insert().values(row)))

    def update(self, launch_id: str, **changes: Any) -> None:
        """Change some fields of a launch."""
        from sqlalchemy import update

        from brain.store.tables import launches

        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown launch fields: {sorted(unknown)}")
        if not changes:
            return
        values = {k: json.dumps(v) if k in ("params", "outputs") else v
                  for k, v in changes.items()}
        statement = update(launches).where(launches.c.id == launch_id).values(values)
        self._db.write(lambda db: db.execute(statement))

    def get(self, launch_id: str) -> Launch | None:
        """The launch `launch_id`, or None."""
        from sqlalchemy import select

        from brain.store.tables import launches

        query = select(*(launches.c[name] for name in _COLUMNS)).where(
            launches.c.id == launch_id)
        row = self._db.read(lambda db: db.execute(query).first())
        return None if row is None else _launch_of(tuple(row))

    def recent(self, limit: int = 50) -> list[Launch]:
        """The newest launches first."""
        from sqlalchemy import select

        from brain.store.tables import launches

        query = select(*(launches.c[name] for name in _COLUMNS)).order_by(
            launches.c.created_at.desc(), launches.c.id.desc()).limit(limit)
        rows = self._db.read(lambda db: db.execute(query).fetchall())
        return [_launch_of(tuple(row)) for row in rows]

    def abandon_running(self) -> int:
        """Mark launches left `running` by a previous hub as `unknown`; returns how many."""
        from sqlalchemy import update

        from brain.store.tables import launches

        statement = update(launches).where(launches.c.status == "running").values(
            status="unknown", ended_at=time.time(),
            message="the hub stopped while this launch ran")
        changed: int = self._db.write(lambda db: db.execute(statement).rowcount)
        return changed

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _row_of(launch: Launch) -> tuple[Any, ...]:
    data = launch.as_dict()
    data["params"] = json.dumps(data["params"])
    data["outputs"] = json.dumps(data["outputs"])
    return tuple(data[name] for name in _COLUMNS)


def _launch_of(row: tuple[Any, ...]) -> Launch:
    data = dict(zip(_COLUMNS, row, strict=True))
    data["params"] = json.loads(data["params"] or "{}")
    data["outputs"] = json.loads(data["outputs"] or "{}")
    return Launch(**data)
