"""The one subprocess gateway's (brain.process) light path for the express run: a command with
its output shown and copied to logs, in one thread, with os, select and signal alone.

What `brain.process.run_live` does for a plain run, the same way: the child in a session of
its own with no stdin; Ctrl-C forwarded to its group as SIGINT, then SIGTERM and SIGKILL
GRACE_SECONDS apart (a second Ctrl-C moves on at once); SIGTERM/SIGHUP sent to brain passed on
to the group; output read for PIPE_DRAIN_SECONDS more once the child ended; a reader that went
away (`| head`) stops the showing, never the logging. It waits on the child through a pidfd
and on its pipes with select, so no thread and no subprocess import is needed; run_live, with
limits, callbacks and a log budget, stays the path of everything else.
"""

from __future__ import annotations

import os
import select
import time

from brain.process_env import GRACE_SECONDS, PIPE_DRAIN_SECONDS, exit_code_of

TYPE_CHECKING = False  # not typing's: importing typing costs the express run a few ms
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable, Sequence
else:
    # The signal module's own C part: `signal` adds only enum wrappers, and importing enum
    # costs the express run about a millisecond. The numbers and functions are the same.
    import _signal as signal

_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)  # Ctrl-C's steps, in order


def run_copied(program: str, argv: Sequence[str], *, cwd: str, env: dict[str, str],
               logs: tuple[int, int], timer: tuple[float, Callable[[], object]] | None = None,
               ) -> tuple[int, int | None]:
    """Run `program` (a path: brain.process_env.find_program) with `argv` in `cwd`, its
    stdout and stderr shown on ours and appended to the `logs` (two open descriptors, left
    open). `timer`: (monotonic time, call) made once
    if the child still runs then. Returns (exit code, the signal that stopped the run: SIGINT
    for Ctrl-C, or the SIGTERM/SIGHUP brain received; None when the child ended on its own).
    Call from the main thread (signal handlers are set here)."""
    copy = _Copy(logs, timer)
    previous = {sig: signal.signal(sig, copy.forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        copy.start(program, argv, cwd, env)
        while not copy.done():
            try:
                copy.step()
            except KeyboardInterrupt:
                copy.escalate()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        copy.close()
    return copy.outcome()


class _Copy:
    """One child, its two pipes and where their output goes."""

    def __init__(self, logs: tuple[int, int],
                 timer: tuple[float, Callable[[], object]] | None) -> None:
        self.logs = logs
        self.timer = timer
        self.pid: int | None = None
        self.pidfd: int | None = None
        self.pipes: dict[int, tuple[int, int]] = {}  # read end -> (our fd, log fd)
        self.showing = {1: True, 2: True}
        self.returncode: int | None = None
        self.drain_until = 0.0
        self.received: list[int] = []  # SIGTERM/SIGHUP sent to brain
        self.stops = 0  # Ctrl-C's steps taken
        self.next_stop = 0.0

    def forward(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        self._signal_group(signum)

    def start(self, program: str, argv: Sequence[str], cwd: str, env: dict[str, str]) -> None:
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        self.pipes = {out_read: (1, self.logs[0]), err_read: (2, self.logs[1])}
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out_write, 1), (os.POSIX_SPAWN_DUP2, err_write, 2)]
        here = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            # posix_spawn takes no working directory (before Python 3.13): lend it ours.
            os.chdir(cwd)
            self.pid = os.posix_spawn(program, list(argv), env, file_actions=actions,
                                      setsid=True)
        finally:
            os.fchdir(here)
            os.close(here)
            os.close(out_write)
            os.close(err_write)
        if self.received:  # arrived while the child was being started
            self._signal_group(self.received[0])
        self.pidfd = os.pidfd_open(self.pid)

    def done(self) -> bool:
        return self.returncode is not None and (
            not self.pipes or time.monotonic() >= self.drain_until)

    def step(self) -> None:
        """Wait for output, the child's end or a deadline, and act on what came."""
        watched = list(self.pipes)
        if self.returncode is None and self.pidfd is not None:
            watched.append(self.pidfd)
        ready, _, _ = select.select(watched, [], [], self._timeout())
        now = time.monotonic()
        if self.timer is not None and now >= self.timer[0]:
            call, self.timer = self.timer[1], None
            call()
        if self.stops and self.returncode is None and now >= self.next_stop:
            self._stop_step()
        for fd in ready:
            if fd == self.pidfd:
                assert self.pid is not None
                self.returncode = exit_code_of(os.waitstatus_to_exitcode(
                    os.waitpid(self.pid, 0)[1]))
                self.drain_until = now + PIPE_DRAIN_SECONDS
            else:
                self._copy(fd)

    def escalate(self) -> None:
        """Ctrl-C: the group's next stop now (SIGINT first, then SIGTERM, then SIGKILL)."""
        if self.returncode is None and self.stops < len(_STOPS):
            self._stop_step()

    def outcome(self) -> tuple[int, int | None]:
        assert self.returncode is not None
        stopped_by = (self.received[0] if self.received
                      else signal.SIGINT if self.stops else None)
        return self.returncode, stopped_by

    def close(self) -> None:
        for fd in [*self.pipes, *([self.pidfd] if self.pidfd is not None else [])]:
            os.close(fd)
        self.pipes, self.pidfd = {}, None

    def _timeout(self) -> float | None:
        deadlines = [self.timer[0]] if self.timer is not None else []
        if self.stops and self.returncode is None:
            deadlines.append(self.next_stop)
        if self.returncode is not None:
            deadlines.append(self.drain_until)
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _stop_step(self) -> None:
        self._signal_group(_STOPS[min(self.stops, len(_STOPS) - 1)])
        self.stops += 1
        self.next_stop = time.monotonic() + GRACE_SECONDS

    def _signal_group(self, signum: int) -> None:
        if self.pid is not None and self.returncode is None:
            try:
                os.killpg(self.pid, signum)
            except ProcessLookupError:
                return  # already gone: its end is on the way through the pidfd

    def _copy(self, fd: int) -> None:
        chunk = os.read(fd, 65536)
        ours, log = self.pipes[fd]
        if not chunk:
            os.close(fd)
            del self.pipes[fd]
            return
        _write_all(log, chunk)
        if self.showing[ours]:
            try:
                _write_all(ours, chunk)
            except (BrokenPipeError, OSError):
                self.showing[ours] = False  # our own output went away: keep logging


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
