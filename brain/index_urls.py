"""Package index addresses a spec or a setting may name: an http(s) or file URL, or `local`
(brain's own index). Checked once, here, for the spec models and the user settings alike."""

from __future__ import annotations

from urllib.parse import urlsplit

from brain.errors import InvalidInput

LOCAL_INDEX_ALIAS = "local"


def check_index_url(value: str, *, setting: str = "index URL") -> str:
    """`value` when it is an http(s)/file URL (or `local`), else InvalidInput."""
    if value == LOCAL_INDEX_ALIAS:
        return value
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise InvalidInput(f"{setting} {value!r} contains whitespace or control characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "file") or (
            parts.scheme != "file" and not parts.netloc):
        raise InvalidInput(f"{setting} {value!r} is not an http(s):// or file:// URL",
                           hint="e.g. https://packages.example.com/simple, or `local` for "
                           "brain's own index")
    return value
