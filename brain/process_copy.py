"""The one subprocess gateway's (brain.process) light path for the express run: a command with
its output shown and copied to logs, in one thread, without loading the run core.

What `brain.process.run_live` does for a plain run, the same way: the child started as
subprocess starts it (`_spawn`), in a session of its own with no stdin; Ctrl-C forwarded to
its group as SIGINT, then SIGTERM and SIGKILL GRACE_SECONDS apart (a second Ctrl-C moves on
at once); SIGTERM/SIGHUP sent to brain passed on to the group; output read for
PIPE_DRAIN_SECONDS more once the child ended; a reader that went away (`| head`) stops the
showing, a log that cannot be written stops the logging, and neither stops the run. One poll
waits on the child (a pidfd), both pipes and our own output: a slow reader of one stream
holds back only that stream, as run_live's two threads do. run_live, with limits, callbacks
and a log budget, stays the path of everything else.
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
_READ, _WRITE = select.POLLIN | select.POLLHUP | select.POLLERR, select.POLLOUT
_CHUNK = 65536


class SpawnFailed(Exception):
    """The child could not be started; `error` says why (nothing was started)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def run_copied(argv: Sequence[str], *, cwd: str, env: dict[str, str],
               logs: tuple[int, int], timer: tuple[float, Callable[[], object]] | None = None,
               ) -> tuple[int, int | None]:
    """Run `argv` in `cwd` with `env`, its stdout and stderr shown on ours and appended to
    the `logs` (two open descriptors, left open). `timer`: (monotonic time, call) made once
    if the child still runs then. Returns (exit code, the signal that stopped the run: SIGINT
    for Ctrl-C, or the SIGTERM/SIGHUP brain received; None when the child ended on its own);
    SpawnFailed when it could not start. Call from the main thread (signal handlers are set
    here)."""
    copy = _Copy(logs, timer)
    previous = {sig: signal.signal(sig, copy.forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        copy.start(argv, cwd, env)
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
        self.logs: dict[int, int | None] = {1: logs[0], 2: logs[1]}  # None: stopped
        self.showing = {1, 2}  # our descriptors still shown on
        self.timer = timer
        self.pid: int | None = None
        self.pidfd: int | None = None
        self.pipes: dict[int, int] = {}  # read end -> our descriptor it is shown on
        self.pending = {1: b"", 2: b""}  # read, not yet shown
        self.returncode: int | None = None
        self.drain_until = 0.0
        self.received: list[int] = []  # SIGTERM/SIGHUP sent to brain
        self.stops = 0  # Ctrl-C's steps taken
        self.next_stop = 0.0

    def forward(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        self._signal_group(signum)

    def start(self, argv: Sequence[str], cwd: str, env: dict[str, str]) -> None:
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        self.pipes = {out_read: 1, err_read: 2}
        try:
            self.pid = _spawn(list(argv), cwd, env, out_write, err_write)
        finally:
            os.close(out_write)
            os.close(err_write)
        if self.received:  # arrived while the child was being started
            self._signal_group(self.received[0])
        self.pidfd = os.pidfd_open(self.pid)

    def done(self) -> bool:
        if self.returncode is None:
            return False
        flushed = not self.pipes and not any(self.pending.values())
        return flushed or time.monotonic() >= self.drain_until

    def step(self) -> None:
        """Wait for output, room to show it, the child's end or a deadline; act on each."""
        poll = select.poll()
        for fd, ours in self.pipes.items():
            if not self.pending[ours]:  # a stream not yet shown is not read further
                poll.register(fd, _READ)
        for ours, waiting in self.pending.items():
            if waiting:
                poll.register(ours, _WRITE)
        if self.returncode is None and self.pidfd is not None:
            poll.register(self.pidfd, _READ)
        timeout = self._timeout()
        events = poll.poll(None if timeout is None else max(0, int(timeout * 1000) + 1))
        now = time.monotonic()
        if self.timer is not None and now >= self.timer[0]:
            call, self.timer = self.timer[1], None
            call()
        if self.stops and self.returncode is None and now >= self.next_stop:
            self._stop_step()
        for fd, event in events:
            if fd == self.pidfd:
                self._reap(now)
            elif fd in self.pipes:
                self._read(fd)
            else:
                self._show(fd, event)

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
        """Close what is open; a child still running (brain failing) is killed and reaped."""
        if self.pid is not None and self.returncode is None:
            self._signal_group(signal.SIGKILL)
            self._reap(time.monotonic())
        for fd in [*self.pipes, *([self.pidfd] if self.pidfd is not None else [])]:
            os.close(fd)
        self.pipes, self.pidfd = {}, None

    def _reap(self, now: float) -> None:
        assert self.pid is not None
        # Peeked first, reaped after: a Ctrl-C between the two cannot lose the status.
        found = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        if found is None:
            return
        status = found.si_status if found.si_code == os.CLD_EXITED else -found.si_status
        self.returncode = exit_code_of(status)
        self.drain_until = now + PIPE_DRAIN_SECONDS
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            return  # reaped already: the status is in hand

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

    def _read(self, fd: int) -> None:
        ours = self.pipes[fd]
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            os.close(fd)
            del self.pipes[fd]
            return
        log = self.logs[ours]
        if log is not None:
            try:
                _write_all(log, chunk)
            except OSError:  # a full disk, a file-size limit: the run goes on unlogged
                self.logs[ours] = None
        if ours in self.showing:
            self.pending[ours] = chunk

    def _show(self, ours: int, event: int) -> None:
        written = -1
        if event & _WRITE:
            try:
                # At most what a pipe takes without blocking once it says it has room.
                written = os.write(ours, self.pending[ours][:select.PIPE_BUF])
            except OSError:  # BrokenPipeError: our reader went away (`| head`)
                written = -1
        if written >= 0:
            self.pending[ours] = self.pending[ours][written:]
            return
        self.showing.discard(ours)  # keep logging, stop showing
        self.pending[ours] = b""


def _spawn(argv: list[str], cwd: str, env: dict[str, str], out: int, err: int) -> int:
    """Start `argv` as subprocess.Popen(argv, cwd=cwd, env=env, stdin=DEVNULL, stdout=out,
    stderr=err, start_new_session=True) does, without importing subprocess (it loads locale,
    re and enum: a few milliseconds of a run): fork, then in the child a session of its own,
    the working directory, the three descriptors and no other, SIGPIPE and SIGXFSZ restored,
    and exec searching the child's PATH; an exec that fails comes back through a pipe as the
    OSError subprocess would raise. Raises SpawnFailed. The caller has no other thread."""
    report_read, report_write = os.pipe()  # both close-on-exec: EOF once the exec succeeded
    try:
        pid = os.fork()
    except OSError as error:
        os.close(report_read)
        os.close(report_write)
        raise SpawnFailed(error) from None
    if pid == 0:  # the child: only system calls until the exec, then never back here
        try:
            os.setsid()
            os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            for source, target in ((devnull, 0), (out, 1), (err, 2)):
                os.dup2(source, target)
            os.closerange(3, report_write)
            os.closerange(report_write + 1, os.sysconf("SC_OPEN_MAX"))
            for restored in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(restored, signal.SIG_DFL)
            os.execvpe(argv[0], argv, env)
        except BaseException as error:  # reported to the parent, whatever it was
            code = getattr(error, "errno", None) or 0
            os.write(report_write, f"{code}:{error}".encode(errors="replace"))
        finally:
            os._exit(127)
    os.close(report_write)
    try:
        report = b""
        while chunk := os.read(report_read, 4096):
            report += chunk
    finally:
        os.close(report_read)
    if not report:
        return pid
    os.waitpid(pid, 0)
    number, _, text = report.decode(errors="replace").partition(":")
    code = int(number) if number.isdigit() else 0
    # OSError(errno, ...) is the matching subclass (FileNotFoundError for ENOENT).
    raise SpawnFailed(OSError(code, os.strerror(code) if code else text, argv[0]))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
