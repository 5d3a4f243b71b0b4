"""The one gateway to subprocesses: argv lists, a scrubbed environment, live output with logs,
signals forwarded, exit codes passed through.

A SIGTERM or SIGHUP sent to brain while a child runs is passed on to the child's process group;
brain then ends with 128+signal (143, 129), in its exit code and in the run record alike.
Installers run `contained`: in their own process group, under a tiny supervisor that the
kernel signals when brain dies (Linux PR_SET_PDEATHSIG) and that then kills the whole group,
build backends included, so even a `kill -9` of `brain setup-deps` leaves no installer
running and writing into a folder nobody owns.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from brain.errors import BrainError, EnvironmentFailure, Terminated
from brain.process_env import GRACE_SECONDS as GRACE_SECONDS
from brain.process_env import PIPE_DRAIN_SECONDS as PIPE_DRAIN_SECONDS
from brain.process_env import cannot_run
from brain.process_env import exit_code_of as exit_code_of
from brain.process_env import scrubbed_environment as scrubbed_environment
from brain.process_limits import Limits as Limits
from brain.process_limits import limiter as _limiter
from brain.process_limits import stop_tagged_processes as stop_tagged_processes
from brain.process_waits import quiet_thread, wait_awake

# The supervisor of a contained child: asks the kernel for SIGTERM when brain (its parent)
# dies, starts the command in the process group brain made for it, and on SIGTERM or SIGHUP
# kills that group (itself included). Without site or user paths it starts in milliseconds.
_SUPERVISOR = """
import os, signal, sys
def stop(signum, frame):
    os.killpg(0, signal.SIGKILL)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)
if sys.platform.startswith("linux"):
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    stop(0, None)
child = os.fork()
if child == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as error:
        sys.stderr.write(f"{sys.argv[2]!r} was not found: {error.strerror}\\n")
    os._exit(127)
while True:
    try:
        status = os.waitpid(child, 0)[1]
        break
    except InterruptedError:
        continue
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
"""


def run_checked(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    error: type[BrainError] = EnvironmentFailure,
    timeout: float | None = None,
    limits: Limits | None = None,
    contained: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion with captured output; raise `error` naming `what` on failure.

    `contained` (installers): the child runs in its own process group, which is stopped when
    brain is interrupted or terminated (Terminated is raised then) and killed by the kernel
    when brain dies (Linux).
    """
    environment = dict(env) if env is not None else scrubbed_environment()
    try:
        if contained:
            completed = _run_contained(list(argv), cwd, environment, timeout)
        else:
            completed = subprocess.run(  # argv list, never a shell
                list(argv), cwd=cwd, env=environment,
                capture_output=True, text=True, timeout=timeout, check=False,
                preexec_fn=_limiter(limits) if limits is not None else None,
            )
    except FileNotFoundError:
        raise error(f"{what} failed: {argv[0]!r} was not found") from None
    except PermissionError:
        raise error(f"{what} failed: {argv[0]!r} cannot be run (permission denied)") from None
    except NotADirectoryError:
        raise error(f"{what} failed: {cwd} is not a folder") from None
    except subprocess.TimeoutExpired:
        raise error(f"{what} timed out after {timeout:.0f}s") from None
    except subprocess.SubprocessError:  # raised in the child by _limiter
        raise error(f"{what} failed: its limits or user could not be applied") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        raise error(f"{what} failed (exit {completed.returncode}):\n{tail}")
    return completed


def run_captured(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
    what: str | None = None,
    error: type[BrainError] = EnvironmentFailure,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` with captured output, whatever its exit code (git, ssh, rsync read it). A
    program that cannot start is `error`; a timeout too when `what` is given, else exit 124."""
    try:
        return subprocess.run(  # argv list, never a shell
            list(argv), cwd=cwd, env=dict(env) if env is not None else scrubbed_environment(),
            input=input, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except FileNotFoundError:
        if what is None:
            raise error(f"{argv[0]!r} was not found on this machine") from None
        raise error(f"{what} failed: {argv[0]!r} was not found") from None
    except NotADirectoryError:
        raise error(f"{what or argv[0]} failed: {cwd} is not a folder") from None
    except subprocess.TimeoutExpired as expired:
        if what is not None:
            raise error(f"{what} timed out after {timeout:.0f}s") from None
        stderr = expired.stderr.decode("utf-8", "replace") if isinstance(
            expired.stderr, bytes) else (expired.stderr or "")
        return subprocess.CompletedProcess(list(argv), 124, "", stderr)


def _run_contained(argv: list[str], cwd: Path | None, env: dict[str, str],
                   timeout: float | None) -> subprocess.CompletedProcess[str]:
    import shutil

    if shutil.which(argv[0], path=env.get("PATH")) is None and not os.path.isfile(argv[0]):
        raise FileNotFoundError(argv[0])
    supervised = [sys.executable, "-I", "-S", "-c", _SUPERVISOR, str(os.getpid()), *argv]
    with _forwarding_termination() as forwarding:
        child = subprocess.Popen(  # argv list, never a shell
            supervised, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        forwarding.attach(child)
        try:
            out, err = child.communicate(timeout=timeout)
        except BaseException:  # timeout, Ctrl-C: nothing of the child's group outlives brain
            _kill_group(child)
            raise
    if forwarding.received:
        _kill_group(child)  # what the group still runs after its leader went
        raise Terminated(forwarding.received[0])
    return subprocess.CompletedProcess(argv, child.returncode, out, err)


def _kill_group(child: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        child.communicate(timeout=GRACE_SECONDS)


def run_live(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout_log: Path | None = None,
    stderr_log: Path | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    stdout: IO[str] | None = None,
    limits: Limits | None = None,
    pass_fds: Sequence[int] = (),
    log_limit: int | None = None,
    on_log_full: Callable[[], None] | None = None,
    on_interrupt: Callable[[subprocess.Popen[bytes]], bool] | None = None,
    stderr: IO[str] | None = None,
) -> tuple[int, int | None]:
    """Run `argv` with output streamed live (to `stdout` and `stderr`, default ours) and
    copied to the logs.

    The child gets its own process group so that brain decides what a Ctrl-C means: it is
    forwarded to the child, which gets GRACE_SECONDS to exit before SIGTERM, then SIGKILL.
    A SIGTERM or SIGHUP sent to brain is forwarded the same way, so a scheduler stopping brain
    never leaves the child running. `limits` are applied in the child before exec; the stderr
    log keeps at most `log_limit` bytes (then `on_log_full` is called once, and output is still
    drained). Logs are opened (never through a symlink) before the child starts.
    Returns (exit code, the signal that stopped the run: SIGINT for Ctrl-C, or the
    SIGTERM/SIGHUP brain received; None when the child ended on its own).

    `on_interrupt(child)` replaces the first Ctrl-C's forwarding when the child cannot take a
    signal itself (ssh: the process to stop is on the other machine); when it returns False,
    or on a second Ctrl-C, the child's group is stopped as usual.
    """
    from brain.statefs import open_append

    logs = [open_append(log) if log is not None else None for log in (stdout_log, stderr_log)]
    with _forwarding_termination() as forwarding:
        try:
            child = subprocess.Popen(  # argv list, never a shell
                list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                # Only system calls run there (see _limiter): threads cannot deadlock it.
                preexec_fn=_limiter(limits) if limits is not None else None,
                pass_fds=tuple(pass_fds),
            )
        except OSError as error:
            for log_file in logs:
                if log_file is not None:
                    log_file.close()
            failure = cannot_run(argv[0], error)
            if failure is error:
                raise
            raise failure from None
        except subprocess.SubprocessError:  # raised in the child by _limiter
            for log_file in logs:
                if log_file is not None:
                    log_file.close()
            raise EnvironmentFailure(f"cannot run {argv[0]!r}: its limits or user could not be "
                                     "applied", hint="a user switch needs root") from None
        forwarding.attach(child)
        budget = _LogBudget(log_limit, on_log_full)
        pumps = [
            _pump(child.stdout, stdout or sys.stdout, logs[0]),
            _pump(child.stderr, stderr or sys.stderr, logs[1], budget),
        ]
        interrupted = False
        try:
            if on_start is not None:
                on_start(child)
        except KeyboardInterrupt:
            interrupted = True
            stop_process_group(child)
        while True:
            try:
                returncode = wait_awake(child)
                break
            except KeyboardInterrupt:
                handled = (on_interrupt is not None and not interrupted
                           and _handled(on_interrupt, child))
                interrupted = True
                if not handled:
                    stop_process_group(child)
    # A background grandchild may hold the pipes open after the child exited: do not wait for
    # it (the pump threads are daemons and keep logging while brain lives).
    deadline = time.monotonic() + PIPE_DRAIN_SECONDS
    for pump in pumps:
        pump.join(timeout=max(0.0, deadline - time.monotonic()))
    stopped_by = (forwarding.received[0] if forwarding.received
                  else signal.SIGINT if interrupted else None)
    return exit_code_of(returncode), stopped_by




def _handled(on_interrupt: Callable[[subprocess.Popen[bytes]], bool],
             child: subprocess.Popen[bytes]) -> bool:
    try:
        return on_interrupt(child)
    except KeyboardInterrupt:
        return False  # a second Ctrl-C while forwarding: stop the child here


class _Forwarding:
    """SIGTERM/SIGHUP that brain received: passed on to the child's group once it exists."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self._child: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None

    def attach(self, child: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
        """The child has started: one that arrived meanwhile is passed on now."""
        self._child = child
        if self.received:
            self._pass_on(self.received[0])

    def __call__(self, signum: int, _frame: object) -> None:
        self.received.append(signum)
        self._pass_on(signum)

    def _pass_on(self, signum: int) -> None:
        if self._child is not None:
            with suppress(ProcessLookupError):
                os.killpg(self._child.pid, signum)


@contextmanager
def _forwarding_termination() -> Iterator[_Forwarding]:
    """From before the child starts until it ended, SIGTERM/SIGHUP to brain are passed on to
    the child's group: set up first, because a signal sent the moment the child is seen
    (its first output) would otherwise meet the default action and leave the child running."""
    forwarding = _Forwarding()
    if threading.current_thread() is not threading.main_thread():
        yield forwarding  # signal handlers can only be set from the main thread
        return
    previous = {sig: signal.signal(sig, forwarding) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield forwarding
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_process_group(child: subprocess.Popen[bytes]) -> None:
    """SIGINT the child's group, then SIGTERM and SIGKILL if it does not exit in time."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:
            continue  # a second Ctrl-C escalates at once


class _LogBudget:
    """Bytes a log may still take."""

    def __init__(self, limit: int | None, on_full: Callable[[], None] | None) -> None:
        self._left = limit
        self._on_full = on_full
        self._lock = threading.Lock()

    def take(self, chunk: bytes) -> bytes:
        """The part of `chunk` that may still be logged."""
        if self._left is None:
            return chunk
        with self._lock:
            kept = chunk[:self._left]
            full = self._left > 0 and len(chunk) > self._left
            self._left -= len(kept)
        if full and self._on_full is not None:
            self._on_full()
        return kept


def _pump(source: IO[bytes] | None, sink: IO[str], log_file: IO[bytes] | None,
          budget: _LogBudget | None = None) -> threading.Thread:
    def copy() -> None:
        assert source is not None
        out = getattr(sink, "buffer", None)
        showing = True
        try:
            for chunk in iter(lambda: source.read1(65536), b""):  # type: ignore[attr-defined]
                kept = budget.take(chunk) if budget is not None else chunk
                if log_file is not None and kept:
                    log_file.write(kept)
                    log_file.flush()
                if not showing:
                    continue
                try:
                    if out is not None:
                        out.write(chunk)
                        out.flush()
                    else:
                        sink.write(chunk.decode("utf-8", "replace"))
                        sink.flush()
                except (BrokenPipeError, ValueError):
                    showing = False  # our own stdout went away (`| head`): keep logging
        finally:
            if log_file is not None:
                log_file.close()

    return quiet_thread(copy)
