"""Reading input files (specs, template files, template settings) bounded and contained.

A project or template comes from someone else: its `onebrain.yml` may be a FIFO (reading
blocks forever), a link to `/dev/zero` (reading never ends) or a link to a host file (whose
text would then appear in error messages). Every such read goes through `read_input`: the
file must resolve inside its root, must be a regular file (checked before and after opening,
without blocking), and at most `cap` bytes are read whatever `stat` claims.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from brain.errors import InvalidInput

_CHUNK = 1 << 16
# The most brain reads of a spec (`onebrain.yml`, `brain-workspace.yml`, `template.yml`).
MAX_SPEC_BYTES = 2_000_000


class InputRefused(InvalidInput):
    """An input file brain will not read; the message names the file, never its content."""

    def __init__(self, path: Path, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {reason}", hint=hint)
        self.reason = reason


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def contained(path: Path, root: Path) -> Path:
    """`path` resolved, refused when it (through a symlink) leaves `root`."""
    real = os.path.realpath(path)
    if not _inside(real, os.path.realpath(root)):
        raise InputRefused(path, f"it is a symlink to a file outside {root}; brain does not "
                           "follow it", hint="replace the link with the file itself")
    return Path(real)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _not_regular(path: Path, mode: int) -> InputRefused:
    return InputRefused(path, f"cannot read the file: it is {_kind(mode)}, not a regular file")


def open_input(path: Path, *, root: Path) -> BinaryIO:
    """`path` opened for reading: inside `root`, a regular file, opened without blocking."""
    real = contained(path, root)
    try:
        # Checked before opening too: opening some devices has effects of its own.
        before = os.stat(real)
        if not stat.S_ISREG(before.st_mode):
            raise _not_regular(path, before.st_mode)
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        handle = os.open(real, flags)
    except InputRefused:
        raise
    except OSError as error:
        raise InputRefused(path, f"cannot read the file: {error.strerror}") from None
    after = os.fstat(handle)
    if not stat.S_ISREG(after.st_mode):  # swapped between the check and the open
        os.close(handle)
        raise _not_regular(path, after.st_mode)
    return os.fdopen(handle, "rb")


def read_input(path: Path, *, root: Path, cap: int) -> bytes:
    """The bytes of `path` (see `open_input`); InputRefused past `cap` bytes."""
    with open_input(path, root=root) as stream:
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = stream.read(min(_CHUNK, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > cap:
        raise InputRefused(path, f"the file is larger than {cap} bytes; it may be at most {cap}")
    return b"".join(chunks)


def read_input_text(path: Path, *, root: Path, cap: int) -> str:
    """`read_input` decoded as UTF-8; InputRefused when it is not UTF-8."""
    try:
        return read_input(path, root=root, cap=cap).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputRefused(path, "the file is not UTF-8 text; save it as UTF-8") from None


def read_spec_bytes(spec_file: Path) -> bytes:
    """The bytes of a spec file, read bounded and contained.

    The spec's folder is its project: a spec that is a symlink must resolve inside it, so
    no file of the host is ever parsed, and so quoted in an error, as if it were a spec.
    """
    return read_input(spec_file, root=spec_file.parent, cap=MAX_SPEC_BYTES)
