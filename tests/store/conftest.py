"""Fixtures for the store tests: records, and old store files made by the brain before the
store moved to SQLAlchemy (tests/store/data, written by that brain's own code)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brain.runs.record import RunRecord
from tests.runs.conftest import record_fields

DATA = Path(__file__).parent / "data"


@pytest.fixture
def make_record() -> Callable[..., RunRecord]:
    """make_record(parameters={...}, status="failed", ...) -> RunRecord (not stored)."""
    return lambda **overrides: RunRecord(**record_fields(**overrides))


# The hub's accounts file as the brain before migration 0003 made it (brain/share/accounts.py
# of that brain: these statements, WAL, foreign keys on, mode 0600).
OLD_ACCOUNTS_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tokens (name TEXT PRIMARY KEY, role INTEGER NOT NULL,
        digest TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, expires_at REAL,
        last_used REAL)""",
    """CREATE TABLE IF NOT EXISTS sessions (digest TEXT PRIMARY KEY,
        token TEXT NOT NULL REFERENCES tokens(name) ON DELETE CASCADE,
        created_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
        client TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS audit_at ON audit (at)",
)
OLD_SECRETS = {"ana": "ana-old-secret", "vic": "vic-old-secret", "ana-session": "sess-1"}


def write_old_accounts(path: Path) -> None:
    """An accounts file of the previous layout: tokens ana (launcher) and vic (viewer,
    expired), ana's browser session, three audit lines."""
    import hashlib
    import sqlite3

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    path.touch(mode=0o600)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    for statement in OLD_ACCOUNTS_SCHEMA:
        db.execute(statement)
    db.execute("INSERT INTO tokens VALUES ('ana', 2, ?, 1000.0, NULL, NULL)",
               (sha(OLD_SECRETS["ana"]),))
    db.execute("INSERT INTO tokens VALUES ('vic', 1, ?, 1000.0, 2000.0, 1500.0)",
               (sha(OLD_SECRETS["vic"]),))
    db.execute("INSERT INTO sessions VALUES (?, 'ana', 1100.0)", (sha(OLD_SECRETS["ana-session"]),))
    for at, who, action, target in ((1000.0, "root", "token-create", "ana (launcher)"),
                                    (1000.0, "root", "token-create", "vic (viewer)"),
                                    (1200.5, "ana", "launch", "l1 file:///r@abc")):
        db.execute("INSERT INTO audit (at, who, action, target, client) VALUES "
                   "(?, ?, ?, ?, '127.0.0.1')", (at, who, action, target))
    db.close()


@pytest.fixture
def old_home(isolated: Path) -> Path:
    """BRAIN_HOME holding a brain.db (3 runs), hub/launches.db (2 launches) and
    hub/accounts.db (2 tokens, 1 session, 3 audit lines) as the previous brain wrote them."""
    shutil.copy(DATA / "brain-v2.db", isolated / "brain.db")
    (isolated / "hub").mkdir()
    shutil.copy(DATA / "launches-before-0002.db", isolated / "hub" / "launches.db")
    write_old_accounts(isolated / "hub" / "accounts.db")
    return isolated


# What old_home holds, per table of the store.
OLD_COUNTS = {"runs": 3, "launches": 2, "hub_tokens": 2, "hub_sessions": 1, "hub_audit": 3}


def counts(url_or_path: Any) -> dict[str, int]:
    """Rows per table of a store, read back through the store's own code."""
    from brain.runs.store import RunStore
    from brain.store.integrity import check_store

    with RunStore(url_or_path) as store:
        return check_store(store.database).counts
