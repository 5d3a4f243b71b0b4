"""The run store's table: its migrations, its columns, and records to rows and back.

Kept apart from the connection and transaction logic in brain.runs.store.
"""

from __future__ import annotations

import json
from typing import Any

from brain.entry_names import normalize_entry_name
from brain.runs.record import GitState, RunRecord


def entry_key(name: str) -> str:
    """An entry point name normalised for matching (brain.entry_names' rule)."""
    return normalize_entry_name(name)


# Ordered migrations: MIGRATIONS[n - 1] takes the schema from version n - 1 to n. Never edit
# a released one; append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the first layout
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL, project TEXT NOT NULL, version TEXT NOT NULL,
            project_path TEXT NOT NULL, entry_point TEXT NOT NULL, parameters TEXT NOT NULL,
            command TEXT NOT NULL, backend TEXT NOT NULL, env_identity TEXT NOT NULL,
            spec_hash TEXT NOT NULL, python_version TEXT, host TEXT NOT NULL,
            user TEXT NOT NULL, pid INTEGER NOT NULL, started_at REAL NOT NULL, ended_at REAL,
            status TEXT NOT NULL, exit_code INTEGER, git_commit TEXT, git_branch TEXT,
            git_remote TEXT, git_dirty INTEGER, stdout_log TEXT, stderr_log TEXT)""",
        "CREATE INDEX runs_started ON runs (started_at, id)",
    ),
    (  # 2: what `brain runs list` filters on gets a column and an index; origin and extra
        "ALTER TABLE runs ADD COLUMN entry_key TEXT NOT NULL DEFAULT ''",
        "UPDATE runs SET entry_key = brain_entry_key(entry_point)",
        "ALTER TABLE runs ADD COLUMN origin TEXT",
        "ALTER TABLE runs ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'",
        "CREATE INDEX runs_project ON runs (project, started_at, id)",
        "CREATE INDEX runs_namespace ON runs (namespace, started_at, id)",
        "CREATE INDEX runs_entry ON runs (entry_key, started_at, id)",
        "CREATE INDEX runs_status ON runs (status, started_at, id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

COLUMNS = (
    "id", "namespace", "project", "version", "project_path", "entry_point", "entry_key",
    "parameters", "command", "backend", "env_identity", "spec_hash", "python_version", "host",
    "user", "pid", "started_at", "ended_at", "status", "exit_code", "git_commit", "git_branch",
    "git_remote", "git_dirty", "stdout_log", "stderr_log", "origin", "extra",
)
SELECT = f"SELECT {', '.join(COLUMNS)} FROM runs"
INSERT = f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def dumps(value: Any) -> str:
    # Typed parameter values (dates, paths) are stored in their text form.
    return json.dumps(value, default=str, sort_keys=True)


def loads(text: str | None, fallback: Any) -> Any:
    if not text:
        return fallback
    try:
        return json.loads(text)
    except ValueError:
        return fallback


def row_of(record: RunRecord) -> tuple[Any, ...]:
    git = record.git
    return (
        record.id, record.namespace, record.project, record.version, record.project_path,
        record.entry_point, entry_key(record.entry_point), dumps(record.parameters),
        record.command, record.backend, record.env_identity, record.spec_hash,
        record.python_version, record.host, record.user, record.pid, record.started_at,
        record.ended_at, record.status, record.exit_code, git.commit, git.branch, git.remote,
        None if git.dirty is None else int(git.dirty), record.stdout_log, record.stderr_log,
        record.origin, dumps(record.extra),
    )


def record_of(row: tuple[Any, ...]) -> RunRecord:
    value = dict(zip(COLUMNS, row, strict=True))
    dirty = value["git_dirty"]
    return RunRecord(
        id=value["id"], namespace=value["namespace"], project=value["project"],
        version=value["version"], project_path=value["project_path"],
        entry_point=value["entry_point"], parameters=loads(value["parameters"], {}),
        command=value["command"], backend=value["backend"],
        env_identity=value["env_identity"], spec_hash=value["spec_hash"],
        python_version=value["python_version"], host=value["host"], user=value["user"],
        pid=value["pid"], started_at=value["started_at"], ended_at=value["ended_at"],
        status=value["status"], exit_code=value["exit_code"],
        git=GitState(commit=value["git_commit"], branch=value["git_branch"],
                     remote=value["git_remote"], dirty=None if dirty is None else bool(dirty)),
        stdout_log=value["stdout_log"], stderr_log=value["stderr_log"],
        origin=value["origin"], extra=loads(value["extra"], {}),
    )
