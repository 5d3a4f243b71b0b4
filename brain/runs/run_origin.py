"""Where a run comes from: its id, this machine's host name and the user, with nothing imported
but os and time (the express run, brain.runs.express, records them too)."""

from __future__ import annotations

import os
import time


def new_run_id() -> str:
    """A 16-hex-char run id that sorts by creation time: 11 hex of milliseconds, 5 random.

    Time first so ids sort like runs happened; within one process ids are strictly
    increasing (the random part counts up inside a millisecond), and across processes two
    ids minted in the same millisecond collide once in a million (`insert` then refuses the
    second). Any unique prefix works on the command line.
    """
    global _last_id
    millis = time.time_ns() // 1_000_000
    value = (millis << 20) | (int.from_bytes(os.urandom(3)) >> 4)  # 20 random bits
    if value <= _last_id:
        value = _last_id + 1
    _last_id = value
    return f"{value:016x}"


_last_id = 0


def host_name() -> str:
    """This machine's host name."""
    # os.uname is what socket.gethostname reads on POSIX, without importing socket
    # (a few ms on every `brain runs list`, which reconciles by host).
    return os.uname().nodename if hasattr(os, "uname") else _socket_host_name()


def _socket_host_name() -> str:
    import socket

    return socket.gethostname()


def user_name() -> str:
    """The user running brain (the uid when the account has no name, as in some containers)."""
    # getpass.getuser()'s rule, without importing getpass (and termios) on every run.
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if value := os.environ.get(variable):
            return value
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, OSError):
        return str(os.getuid())
