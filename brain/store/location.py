"""Where the store is: `BRAIN_STORE` (a file path or a URL), else the `store` setting of
`brain config`, else `BRAIN_HOME/brain.db` (addresses are checked by brain.store.url).

Standard library only: every store access resolves the location first.
"""

from __future__ import annotations

from brain.store.url import StoreLocation as StoreLocation
from brain.store.url import masked as masked
from brain.store.url import parse_store, sqlite_at

__all__ = ["StoreLocation", "masked", "parse_store", "sqlite_at", "store_location"]


def store_location() -> StoreLocation:
    """The store in force (BRAIN_STORE, then `brain config set store`, then the default)."""
    from brain import paths, settings

    value = settings.raw("BRAIN_STORE").strip()
    where = "BRAIN_STORE"
    if not value:
        from brain.config import config_path

        if config_path().is_file():  # most users never write one: skip parsing TOML
            from brain.config import get_setting

            found = get_setting("store")
            value = found.strip() if isinstance(found, str) else ""
            where = "the store setting"
    if not value:
        return sqlite_at(paths.default_store())
    return parse_store(value, where=where)
