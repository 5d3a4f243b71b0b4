"""The hub's launch history: one SQLite file under BRAIN_HOME (`hub/launches.db`, WAL).

Kept apart from the run store: a launch exists before its run does (while fetching and
building), and may end without one (a refused commit, a broken spec).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from brain.errors import EnvironmentFailure

FINAL_STATUSES = ("succeeded", "failed", "timed-out", "interrupted", "unknown")

_SCHEMA = """CREATE TABLE IF NOT EXISTS launches (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, ended_at REAL, status TEXT NOT NULL,
    link TEXT NOT NULL, repo TEXT NOT NULL, commit_sha TEXT NOT NULL, path TEXT NOT NULL,
    entry TEXT, params TEXT NOT NULL, log_path TEXT NOT NULL, exit_code INTEGER,
    run_id TEXT, project_dir TEXT, app_url TEXT, message TEXT, outputs TEXT NOT NULL
        DEFAULT '{}')"""
_COLUMNS = ("id", "created_at", "ended_at", "status", "link", "repo", "commit_sha", "path",
            "entry", "params", "log_path", "exit_code", "run_id", "project_dir", "app_url",
            "message", "outputs")


@dataclass
class Launch:
    """One launch as the hub tracks it."""

    id: str
    created_at: float
    status: str  # running | succeeded | failed | timed-out | interrupted | unknown
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
    """The launches table; safe to share between the hub's threads."""

    def __init__(self, path: Path) -> None:
        from brain.statefs import check_database, safe_dir

        self.path = path
        self._lock = threading.Lock()
        try:
            safe_dir(path.parent.parent, path.parent.name)
            check_database(path)
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise EnvironmentFailure(f"cannot open the hub's launch history {path}: {error}",
                                     hint="check BRAIN_HOME is writable") from None

    def add(self, launch: Launch) -> None:
        """Insert a new launch."""
        row = _row_of(launch)
        with self._lock:
            self._db.execute(f"INSERT INTO launches ({', '.join(_COLUMNS)}) VALUES "
                             f"({', '.join('?' * len(_COLUMNS))})", row)

    def update(self, launch_id: str, **changes: Any) -> None:
        """Change some fields of a launch."""
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown launch fields: {sorted(unknown)}")
        if not changes:
            return
        values = [json.dumps(v) if k in ("params", "outputs") else v
                  for k, v in changes.items()]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self._lock:
            self._db.execute(f"UPDATE launches SET {assignments} WHERE id = ?",
                             (*values, launch_id))

    def get(self, launch_id: str) -> Launch | None:
        """The launch `launch_id`, or None."""
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM launches WHERE id = ?",
                                   (launch_id,)).fetchone()
        return None if row is None else _launch_of(row)

    def recent(self, limit: int = 50) -> list[Launch]:
        """The newest launches first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM launches ORDER BY "
                                    "created_at DESC LIMIT ?", (limit,)).fetchall()
        return [_launch_of(row) for row in rows]

    def abandon_running(self) -> int:
        """Mark launches left `running` by a previous hub as `unknown`; returns how many."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE launches SET status = 'unknown', ended_at = ?, message = "
                "'the hub stopped while this launch ran' WHERE status = 'running'",
                (time.time(),))
        return cursor.rowcount

    def close(self) -> None:
        """Close the database."""
        with self._lock:
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
