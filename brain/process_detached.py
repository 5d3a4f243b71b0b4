"""The one subprocess gateway's (brain.process) fire-and-forget part: a child brain does not
wait for, such as the sync of the run spool that may finish after brain has exited.

posix_spawn, not subprocess: importing subprocess (and threading, signal, selectors) costs
every `brain run` a few milliseconds, and a detached child needs none of it."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the express run a few ms
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def start_detached(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> bool:
    """Start `argv` in a session of its own with no stdin/stdout/stderr, and do not wait for
    it (an argv list, never a shell). Returns False when it could not be started."""
    from brain.process_env import find_program, inherited_descriptors

    _reap()
    quiet = [*((os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)),
             # as subprocess's close_fds: descriptors brain was started with stay with brain
             *((os.POSIX_SPAWN_CLOSE, fd) for fd in inherited_descriptors())]
    environment = dict(os.environ if env is None else env)
    try:
        program = find_program(argv[0], environment)
        # brain's own descriptors are close-on-exec (PEP 446): none reaches the child.
        _started.append(os.posix_spawn(program, list(argv), environment, file_actions=quiet,
                                       setsid=True))
    except OSError:
        return False
    return True


_started: list[int] = []  # children not yet reaped: a long-lived brain (the hub) leaves no zombies


def _reap() -> None:
    """Reap the children started here that have ended (as subprocess does for its own).
    Threads of one brain (the hub's launches, a run's start-sync timer) may reap at once: a
    child another thread reaped is simply gone from the list."""
    for pid in list(_started):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid  # reaped by another thread, or by someone else
        if not done:
            continue
        try:
            _started.remove(pid)
        except ValueError:
            continue  # another thread removed it first
