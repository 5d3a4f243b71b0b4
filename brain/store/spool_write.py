"""Writing one run record into the spool (brain.store.spool), with only os and json imported:
the express run (brain.runs.express) writes its records through it too."""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # not typing's: importing typing costs the express run a few ms
if TYPE_CHECKING:
    from typing import Any

KINDS = ("start", "end")  # synced in this order: a run's end after its start


def write_row(folder_fd: int, row: dict[str, Any], kind: str) -> str:
    """Write `row` (a runs row) as its run's `kind` file in the folder open as `folder_fd`,
    atomically: a new file beside it (O_EXCL, never through a link), renamed over it.
    Returns the file's name."""
    if kind not in KINDS:
        raise ValueError(f"not a spool file kind: {kind!r}")
    name = f"{row['id']}.{kind}.json"
    temporary = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    data = json.dumps(row, sort_keys=True).encode("utf-8")
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
