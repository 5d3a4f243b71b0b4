"""Store addresses: a SQLite file path or a PostgreSQL URL, checked (`parse_store`) and shown
with any password masked (`masked`). Standard library only; which store is in force is
brain.store.location's business."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import unquote, urlsplit, urlunsplit

from brain.errors import InvalidInput

Kind = Literal["sqlite", "postgresql"]
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_MAX_URL = 4096
_EXAMPLE = "a file path, or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


class StoreLocation(NamedTuple):
    """A store: SQLite at `path`, or PostgreSQL at `url` (SQLAlchemy form, password inside).

    A NamedTuple, not a dataclass: the detached sync every `brain run` leaves behind reads
    it, and dataclasses imports inspect (about a quarter of that helper's start-up)."""

    kind: Kind
    url: str
    path: Path | None = None

    @property
    def shown(self) -> str:
        """How messages name the store: the file, or the URL with its password masked."""
        if self.path is not None:
            return str(self.path)
        return masked(self.url.replace("postgresql+psycopg://", "postgresql://", 1))

    @property
    def is_file(self) -> bool:
        return self.kind == "sqlite"


def sqlite_at(path: Path) -> StoreLocation:
    """The SQLite store in file `path`."""
    return StoreLocation("sqlite", f"sqlite:///{path}", path)


def parse_store(value: str, *, where: str = "the store") -> StoreLocation:
    """A store from a path or URL; InvalidInput (password masked) for anything else."""
    from brain.settings import expand_user

    if len(value) > _MAX_URL:
        raise InvalidInput(f"{where} is {len(value)} characters long; at most {_MAX_URL}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput(f"{where} contains control characters: {masked(value)!r}",
                           hint=f"use {_EXAMPLE}")
    if "://" not in value:
        return sqlite_at(expand_user(value))
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if not parts.path or parts.path == "/":
            raise InvalidInput(f"{where}: a sqlite URL needs a file path: sqlite:////abs/path")
        return sqlite_at(expand_user(unquote(parts.path[1:] if parts.path.startswith("//")
                                             else parts.path)))
    if scheme not in _POSTGRES_SCHEMES:
        raise InvalidInput(f"{where}: unsupported store URL scheme {scheme!r} in "
                           f"{masked(value)!r}", hint=f"use {_EXAMPLE}")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"{where}: bad port in {masked(value)!r}",
                           hint=f"use {_EXAMPLE}") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database or "/" in database:
        raise InvalidInput(f"{where}: {masked(value)!r} must name a host and one database",
                           hint=f"use {_EXAMPLE}")
    del port  # checked above; psycopg reads it from the URL
    url = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, parts.query, ""))
    return StoreLocation("postgresql", url)


def masked(url: str) -> str:
    """`url` with any password replaced by `***` (for messages and `brain config list`)."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a store URL that cannot be parsed)"
    query = "&".join(f"{pair.split('=', 1)[0]}=***" if pair.lower().startswith("password=")
                     else pair for pair in parts.query.split("&")) if parts.query else ""
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
