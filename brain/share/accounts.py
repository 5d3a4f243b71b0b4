"""Hub accounts: named tokens with a role, browser sessions, and the audit log.

One small SQLite file in the hub's state folder (`BRAIN_HOME/hub/accounts.db`, mode 0600),
apart from the run store, behind the `HubAccounts` interface so that it can move into a shared
store later. Tokens are `secrets.token_urlsafe(32)`, shown once; only their SHA-256 is kept
(a 256-bit random secret needs no salt or slow hash: nothing can be guessed from its digest).
A browser session is another random id, kept the same way, that maps to a token's name and
ends with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from brain.errors import EnvironmentFailure, InvalidInput

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_LAST_USED_EVERY = 60.0  # seconds: `last used` is written at most this often per token
_SCHEMA = (
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


class Role(IntEnum):
    """What a request may do; each role includes the ones below it."""

    PUBLIC = 0  # routes anyone may reach (the login form); never a token's role
    VIEWER = 1  # pages, statuses, logs, reports, outputs
    LAUNCHER = 2  # anything that starts work: launches, restarts, stops
    ADMIN = 3  # tokens and limits

    @property
    def label(self) -> str:
        """The role's name as users write it."""
        return self.name.lower()


TOKEN_ROLES = ("viewer", "launcher", "admin")


def role_named(text: str) -> Role:
    """`viewer` -> Role.VIEWER; InvalidInput for anything but a token role."""
    if text not in TOKEN_ROLES:
        raise InvalidInput(f"unknown role {text!r}", hint="one of: " + ", ".join(TOKEN_ROLES))
    return Role[text.upper()]


@dataclass(frozen=True)
class Account:
    """A token's public facts (never the token)."""

    name: str
    role: Role
    created_at: float
    expires_at: float | None
    last_used: float | None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"name": self.name, "role": self.role.label, "created_at": self.created_at,
                "expires_at": self.expires_at, "last_used": self.last_used}


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, when, from where."""

    at: float
    who: str
    action: str
    target: str
    client: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"at": self.at, "who": self.who, "action": self.action, "target": self.target,
                "client": self.client}


def parse_duration(text: str) -> float:
    """`30d`, `12h`, `90m`, `45s`, `2w` -> seconds; InvalidInput otherwise."""
    found = re.fullmatch(r"([1-9][0-9]{0,5})([smhdw])", text.strip())
    if found is None:
        raise InvalidInput(f"not a duration: {text!r}",
                           hint="a whole number and a unit: 45s, 90m, 12h, 30d or 2w")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[found.group(2)]
    return float(int(found.group(1)) * unit)


def digest(secret: str) -> str:
    """The SHA-256 (hex) kept in place of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class HubAccounts:
    """Tokens, sessions and the audit log of one hub; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        import os

        from brain.statefs import check_database, open_file, safe_dir

        self.path = path
        self._lock = threading.Lock()
        try:
            safe_dir(path.parent.parent, path.parent.name)
            check_database(path)
            os.close(open_file(path, os.O_RDWR | os.O_CREAT, 0o600))  # private before use
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except (OSError, sqlite3.Error) as error:
            raise EnvironmentFailure(f"cannot open the hub's accounts {path}: {error}",
                                     hint="check BRAIN_HOME is writable") from None

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def create(self, name: str, role: Role, *, lifetime: float | None = None) -> str:
        """A new token for `name` (returned once, kept only as a digest)."""
        if NAME.fullmatch(name) is None:
            raise InvalidInput(f"not a token name: {name!r}",
                               hint="letters, digits, '.', '_', '@', '-'; at most 64")
        if role is Role.PUBLIC:
            raise InvalidInput("a token needs a role: viewer, launcher or admin")
        token = secrets.token_urlsafe(32)
        now = time.time()
        try:
            with self._lock:
                self._db.execute("INSERT INTO tokens (name, role, digest, created_at, "
                                 "expires_at) VALUES (?, ?, ?, ?, ?)",
                                 (name, int(role), digest(token), now,
                                  None if lifetime is None else now + lifetime))
        except sqlite3.IntegrityError:
            raise InvalidInput(f"a token named {name!r} exists",
                               hint=f"revoke it first: brain hub token revoke {name}") from None
        return token

    def accounts(self) -> list[Account]:
        """Every token's public facts, by name."""
        with self._lock:
            rows = self._db.execute("SELECT name, role, created_at, expires_at, last_used "
                                    "FROM tokens ORDER BY name").fetchall()
        return [Account(name, Role(role), created, expires, used)
                for name, role, created, expires, used in rows]

    def revoke(self, name: str) -> None:
        """Delete a token and its sessions: requests carrying either fail from now on."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM tokens WHERE name = ?", (name,))
        if cursor.rowcount == 0:
            raise InvalidInput(f"no token named {name!r}",
                               hint="`brain hub token list` shows them")

    def check(self, token: str) -> Account | None:
        """The account of a valid, unexpired token, or None."""
        return self._lookup("SELECT name, role, created_at, expires_at, last_used, digest "
                            "FROM tokens WHERE digest = ?", digest(token))

    def open_session(self, token: str) -> str | None:
        """A new browser session for a valid token (its id, returned once), or None."""
        account = self.check(token)
        if account is None:
            return None
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._db.execute("INSERT INTO sessions (digest, token, created_at) VALUES "
                             "(?, ?, ?)", (digest(session), account.name, time.time()))
        return session

    def session(self, session: str) -> Account | None:
        """The account behind a live session id, or None (unknown, revoked or expired)."""
        return self._lookup("SELECT t.name, t.role, t.created_at, t.expires_at, t.last_used, "
                            "s.digest FROM sessions s JOIN tokens t ON t.name = s.token "
                            "WHERE s.digest = ?", digest(session))

    def close_session(self, session: str) -> None:
        """End one browser session (log out)."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE digest = ?", (digest(session),))

    def _lookup(self, query: str, wanted: str) -> Account | None:
        now = time.time()
        with self._lock:
            row = self._db.execute(query, (wanted,)).fetchone()
        if row is None:
            return None
        name, role, created, expires, used, stored = row
        # The row was found by its digest; compared again in constant time all the same.
        if not hmac.compare_digest(stored, wanted) or (expires is not None and expires <= now):
            return None
        if used is None or now - used > _LAST_USED_EVERY:
            with self._lock:
                self._db.execute("UPDATE tokens SET last_used = ? WHERE name = ?", (now, name))
            used = now
        return Account(name, Role(role), created, expires, used)

    def record(self, who: str, action: str, target: str, client: str) -> None:
        """Add one line to the audit log."""
        with self._lock:
            self._db.execute("INSERT INTO audit (at, who, action, target, client) VALUES "
                             "(?, ?, ?, ?, ?)", (time.time(), who, action, target, client))

    def audit(self, since: float | None = None, limit: int = 10_000) -> list[AuditEntry]:
        """Audit lines from `since` (a timestamp) on, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, who, action, target, client FROM (SELECT * FROM audit WHERE "
                "at >= ? ORDER BY at DESC LIMIT ?) ORDER BY at",
                (since or 0.0, limit)).fetchall()
        return [AuditEntry(*row) for row in rows]


def accounts_file(state_dir: Path) -> Path:
    """Where a hub with state in `state_dir` keeps its accounts."""
    return state_dir / "accounts.db"
