"""The one subprocess gateway's (brain.process) fire-and-forget part: a child brain does not
wait for, such as the sync of the run spool that may finish after brain has exited."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence


def start_detached(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> bool:
    """Start `argv` in a session of its own with no stdin/stdout/stderr, and do not wait for
    it. Returns False when it could not be started."""
    try:
        subprocess.Popen(  # argv list, never a shell
            list(argv), env=dict(env) if env is not None else None, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            close_fds=True)
    except OSError:
        return False
    return True
