"""Hub accounts: named tokens with a role, browser sessions, and the audit log.

Tables of the store (brain.store.tables: hub_tokens, hub_sessions, hub_audit): with a
PostgreSQL store in force, beside the team's runs, so a token made on one machine opens every
hub of the team; else in a SQLite file of the hub's own (`BRAIN_HOME/hub/accounts.db`, mode
0600; a file of the previous layout is upgraded by migration 0003).

Tokens are `secrets.token_urlsafe(32)`, shown once; only their SHA-256 is kept (a 256-bit
random secret needs no salt or slow hash: nothing can be guessed from its digest).
A browser session is another random id, kept the same way, that maps to a token's name and
ends with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_LAST_USED_EVERY = 60.0  # seconds: `last used` is written at most this often per token


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
        from brain.share.hub_store import hub_database

        self.path = path
        self._db = hub_database(path, "accounts", private=True)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def create(self, name: str, role: Role, *, lifetime: float | None = None) -> str:
        """A new token for `name` (returned once, kept only as a digest)."""
        from brain.share.hub_store import insert_new
        from brain.store.tables import hub_tokens

        if NAME.fullmatch(name) is None:
            raise InvalidInput(f"not a token name: {name!r}",
                               hint="letters, digits, '.', '_', '@', '-'; at most 64")
        if role is Role.PUBLIC:
            raise InvalidInput("a token needs a role: viewer, launcher or admin")
        token = secrets.token_urlsafe(32)
        now = time.time()
        row = {"name": name, "role": int(role), "digest": digest(token), "created_at": now,
               "expires_at": None if lifetime is None else now + lifetime}
        if not self._db.write(lambda db: insert_new(db, hub_tokens, row)):
            raise InvalidInput(f"a token named {name!r} exists",
                               hint=f"revoke it first: brain hub token revoke {name}")
        return token

    def accounts(self) -> list[Account]:
        """Every token's public facts, by name."""
        from sqlalchemy import select

        from brain.store.tables import hub_tokens as t

        query = select(t.c.name, t.c.role, t.c.created_at, t.c.expires_at,
                       t.c.last_used).order_by(t.c.name)
        rows = self._db.read(lambda db: db.execute(query).fetchall())
        return [Account(name, Role(role), created, expires, used)
                for name, role, created, expires, used in rows]

    def revoke(self, name: str) -> None:
        """Delete a token and its sessions: requests carrying either fail from now on."""
        from sqlalchemy import delete

        from brain.store.tables import hub_sessions, hub_tokens

        def drop(db: Connection) -> int:
            # Sessions first and explicitly: SQLite enforces the cascade only when asked.
            db.execute(delete(hub_sessions).where(hub_sessions.c.token == name))
            return int(db.execute(delete(hub_tokens).where(hub_tokens.c.name == name))
                       .rowcount)

        if self._db.write(drop) == 0:
            raise InvalidInput(f"no token named {name!r}",
                               hint="`brain hub token list` shows them")

    def check(self, token: str) -> Account | None:
        """The account of a valid, unexpired token, or None."""
        from sqlalchemy import select

        from brain.store.tables import hub_tokens as t

        wanted = digest(token)
        query = select(t.c.name, t.c.role, t.c.created_at, t.c.expires_at, t.c.last_used,
                       t.c.digest).where(t.c.digest == wanted)
        return self._lookup(query, wanted)

    def open_session(self, token: str) -> str | None:
        """A new browser session for a valid token (its id, returned once), or None."""
        from brain.store.tables import hub_sessions

        account = self.check(token)
        if account is None:
            return None
        session = secrets.token_urlsafe(32)
        row = {"digest": digest(session), "token": account.name, "created_at": time.time()}
        self._db.write(lambda db: db.execute(hub_sessions.insert().values(row)))
        return session

    def session(self, session: str) -> Account | None:
        """The account behind a live session id, or None (unknown, revoked or expired)."""
        from sqlalchemy import select

        from brain.store.tables import hub_sessions as s
        from brain.store.tables import hub_tokens as t

        wanted = digest(session)
        query = select(t.c.name, t.c.role, t.c.created_at, t.c.expires_at, t.c.last_used,
                       s.c.digest).join_from(s, t, t.c.name == s.c.token) \
            .where(s.c.digest == wanted)
        return self._lookup(query, wanted)

    def close_session(self, session: str) -> None:
        """End one browser session (log out)."""
        from sqlalchemy import delete

        from brain.store.tables import hub_sessions

        statement = delete(hub_sessions).where(hub_sessions.c.digest == digest(session))
        self._db.write(lambda db: db.execute(statement))

    def _lookup(self, query: Any, wanted: str) -> Account | None:
        from sqlalchemy import update

        from brain.store.tables import hub_tokens

        now = time.time()
        row = self._db.read(lambda db: db.execute(query).first())
        if row is None:
            return None
        name, role, created, expires, used, stored = row
        # The row was found by its digest; compared again in constant time all the same.
        if not hmac.compare_digest(stored, wanted) or (expires is not None and expires <= now):
            return None
        if used is None or now - used > _LAST_USED_EVERY:
            statement = update(hub_tokens).where(hub_tokens.c.name == name) \
                .values(last_used=now)
            self._db.write(lambda db: db.execute(statement))
            used = now
        return Account(name, Role(role), created, expires, used)

    def record(self, who: str, action: str, target: str, client: str) -> None:
        """Add one line to the audit log."""
        from brain.store.tables import hub_audit

        now = time.time()
        row = {"id": audit_id(now), "at": now, "who": who, "action": action,
               "target": target, "client": client}
        self._db.write(lambda db: db.execute(hub_audit.insert().values(row)))

    def audit(self, since: float | None = None, limit: int = 10_000) -> list[AuditEntry]:
        """Audit lines from `since` (a timestamp) on, oldest first."""
        from sqlalchemy import select

        from brain.store.tables import hub_audit as a

        query = select(a.c.at, a.c.who, a.c.action, a.c.target, a.c.client) \
            .where(a.c.at >= (since or 0.0)).order_by(a.c.at.desc(), a.c.id.desc()) \
            .limit(limit)
        rows = self._db.read(lambda db: db.execute(query).fetchall())
        return [AuditEntry(*row) for row in reversed(rows)]


def audit_id(at: float) -> str:
    """A new audit line's id: its time in microseconds, then 32 random bits (22 hex digits;
    ids sort by time, and lines of many hubs in one store never collide)."""
    return f"{int(at * 1_000_000):014x}{secrets.randbits(32):08x}"


def accounts_file(state_dir: Path) -> Path:
    """Where a hub with state in `state_dir` keeps its accounts."""
    return state_dir / "accounts.db"
