"""A per-project file lock that names its owner, so a waiting command can say who it waits for.

The lock is `flock` on `<project>/.brain/lock`: the kernel releases it when its holder dies,
so a killed `brain` never leaves a stale lock behind. The holder writes its pid, host and
command into the file; a waiter reads them for its message. The file is opened without
following a symlink and must be a plain single-link file (brain.statefs): a lock committed as
a link to another file is refused, never truncated; its folder is made by brain.statefs too
(a project's `.brain/` only when brain made it).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from brain.errors import Busy, EnvironmentFailure

_POLL_SECONDS = 0.1


def lock_timeout() -> float:
    """Seconds to wait for a busy project: `BRAIN_LOCK_TIMEOUT` (brain.settings), default 900;
    a bad value is an error, as for every setting."""
    from brain import settings

    return settings.seconds("BRAIN_LOCK_TIMEOUT")


def describe_owner(path: Path) -> str:
    """Who holds the lock at `path`, in words ("`brain setup-deps` (pid 12, host h, since ...)")."""
    from brain.statefs import UnsafeState, read_text

    try:
        owner = json.loads(read_text(path, limit=65536) or "{}")
    except (OSError, ValueError, UnsafeState):
        owner = {}
    if not isinstance(owner, dict) or "pid" not in owner:
        return "another brain process"
    return (f"`{owner.get('command', 'brain')}` (pid {owner.get('pid')} on "
            f"{owner.get('host', '?')}, since {owner.get('since', '?')})")


class ProjectLock:
    """`with ProjectLock(path, command=..., timeout=..., on_wait=...):` holds the lock at `path`."""

    def __init__(self, path: Path, *, command: str, timeout: float | None = None,
                 on_wait: Callable[[str], None] | None = None, what: str | None = None) -> None:
        self.path = path
        self.what = what or path.parent.parent.name  # named in the busy message
        self.command = command
        self.timeout = lock_timeout() if timeout is None else timeout
        self.on_wait = on_wait
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to `timeout`; Busy (exit 4) names the owner on timeout."""
        from brain.statefs import open_file, project_state, safe_dir

        folder = self.path.parent
        try:
            if folder.name == ".brain":
                project_state(folder.parent)
            else:
                safe_dir(folder.parent, folder.name)
            fd = open_file(self.path, os.O_RDWR | os.O_CREAT)
        except OSError as error:
            raise EnvironmentFailure(
                f"cannot create the lock {self.path}: {error.strerror}") from None
        deadline = time.monotonic() + self.timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                owner = describe_owner(self.path)
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise Busy(
                        f"{self.what}: busy, {owner} holds {self.path}; "
                        f"gave up after {self.timeout:.0f}s",
                        hint="wait for it to finish, or raise BRAIN_LOCK_TIMEOUT",
                    ) from None
                if not told and self.on_wait is not None:
                    self.on_wait(f"waiting for {owner} to finish")
                    told = True
                time.sleep(_POLL_SECONDS)
        self._fd = fd
        # os.uname and time, not socket and datetime: a quick rebuild takes this lock, and
        # those two imports cost it a few milliseconds.
        owner_record = {
            "pid": os.getpid(), "host": os.uname().nodename, "command": self.command,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "argv": sys.argv[1:][:20],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(owner_record).encode(), 0)

    def release(self) -> None:
        """Clear the owner record and release the lock."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
