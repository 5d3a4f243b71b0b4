"""The run store's rows: records to rows and back (the table is brain.store.tables').

Kept apart from the connection and transaction logic in brain.runs.store.
"""

from __future__ import annotations

import json
from typing import Any

from brain.entry_names import normalize_entry_name
from brain.runs.record import GitState, RunRecord
from brain.store.spool_write import MAX_TEXT as MAX_TEXT
from brain.store.spool_write import unstorable as _unstorable


def entry_key(name: str) -> str:
    """An entry point name normalised for matching (brain.entry_names' rule)."""
    return normalize_entry_name(name)


COLUMNS = (
    "id", "namespace", "project", "version", "project_path", "entry_point", "entry_key",
    "parameters", "command", "backend", "env_identity", "spec_hash", "python_version", "host",
    "user", "pid", "started_at", "ended_at", "status", "exit_code", "git_commit", "git_branch",
    "git_remote", "git_dirty", "stdout_log", "stderr_log", "origin", "extra",
)


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


def row_of(record: RunRecord) -> dict[str, Any]:
    """The row of `record`; InvalidInput for text no store can keep the same (a NUL
    character, which PostgreSQL refuses, text that is not UTF-8) or a field past MAX_TEXT."""
    git = record.git
    values = (
        record.id, record.namespace, record.project, record.version, record.project_path,
        record.entry_point, entry_key(record.entry_point), dumps(record.parameters),
        record.command, record.backend, record.env_identity, record.spec_hash,
        record.python_version, record.host, record.user, record.pid, record.started_at,
        record.ended_at, record.status, record.exit_code, git.commit, git.branch, git.remote,
        None if git.dirty is None else int(git.dirty), record.stdout_log, record.stderr_log,
        record.origin, dumps(record.extra),
    )
    row = dict(zip(COLUMNS, values, strict=True))
    for name, value in row.items():
        if isinstance(value, str):
            problem = _unstorable(value)
            if problem is not None:
                from brain.errors import InvalidInput

                raise InvalidInput(f"run {record.id}: {name} holds {problem}; not recorded")
    return row


def record_of(row: Any) -> RunRecord:
    """The record of a row (a mapping, or a sequence in COLUMNS order)."""
    value = dict(row) if hasattr(row, "keys") else dict(zip(COLUMNS, row, strict=True))
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
