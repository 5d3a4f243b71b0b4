"""Writing one run record into the spool (brain.store.spool), with only os imported: the
express run (brain.runs.express) writes its records through it too.

A runs row is flat (text, numbers, None), and its JSON is written here with the JSON
module's own C string encoder: importing `json` loads its decoder and with it `re` and
`enum`, several milliseconds of a run that only writes. Any other value goes to `json`
itself; a property test holds the two to the same bytes.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the express run a few ms
if TYPE_CHECKING:
    from typing import Any

KINDS = ("start", "end")  # synced in this order: a run's end after its start
MAX_TEXT = 1 << 20  # characters in one field: a record is provenance, not a payload


def write_row(folder_fd: int, row: dict[str, Any], kind: str) -> str:
    """Write `row` (a runs row) as its run's `kind` file in the folder open as `folder_fd`,
    atomically: a new file beside it (O_EXCL, never through a link), renamed over it.
    Returns the file's name."""
    if kind not in KINDS:
        raise ValueError(f"not a spool file kind: {kind!r}")
    name = f"{row['id']}.{kind}.json"
    temporary = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    data = dumps_row(row).encode("utf-8")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600, dir_fd=folder_fd)
    try:
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        from contextlib import suppress

        with suppress(OSError):  # never renamed away, or already gone: nothing is left
            os.unlink(temporary, dir_fd=folder_fd)
        raise
    return name


def dumps_row(row: dict[str, Any]) -> str:
    """`json.dumps(row, sort_keys=True)`, for a row of text, whole numbers, finite floats and
    None without importing json (whose decoder imports re and enum)."""
    from _json import encode_basestring_ascii as quoted

    parts = []
    for name in sorted(row):
        value = row[name]
        if value is None:
            text = "null"
        elif type(value) is str:
            text = quoted(value)
        elif type(value) is int or (type(value) is float and value - value == 0):
            text = repr(value)  # what json writes for both (a finite float: float.__repr__)
        else:
            import json  # a bool, a non-finite float, a nested value: json's own rules

            return json.dumps(row, sort_keys=True)
        if type(name) is not str:
            import json

            return json.dumps(row, sort_keys=True)
        parts.append(f"{quoted(name)}: {text}")
    return "{" + ", ".join(parts) + "}"


def unstorable(value: str) -> str | None:
    """Why no store can keep `value` the same, or None."""
    if "\x00" in value:
        return "a NUL character"
    if len(value) > MAX_TEXT:
        return f"over {MAX_TEXT} characters"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate: a file or folder name that is not UTF-8, as Python reads it.
            # Stored, it would stop every later sync of the spool.
            return "text that is not UTF-8 (a file or folder name in another encoding?)"
    return None
