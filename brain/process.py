"""The one gateway to subprocesses: argv lists, a scrubbed environment, live output with logs,
signals forwarded, exit codes passed through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from brain.errors import BrainError, EnvironmentFailure

# Variables of the calling interpreter that would leak into a project's own Python.
_SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "PYTHONSTARTUP",
             "CONDA_PREFIX", "PIP_REQUIRE_VIRTUALENV", "UV_PROJECT_ENVIRONMENT")

GRACE_SECONDS = 5.0


def scrubbed_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without Python-interpreter leaks, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    if extra:
        env.update(extra)
    return env


def run_checked(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    error: type[BrainError] = EnvironmentFailure,
    timeout: float | None = None,
    stdin: IO[bytes] | None = None,
    limits: Limits | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion with captured output; raise `error` naming `what` on failure.

    `stdin`, a real file, is the child's input (a build context for `docker build -`).
    """
    try:
        completed = subprocess.run(  # argv list, never a shell
            list(argv), cwd=cwd, env=dict(env) if env is not None else scrubbed_environment(),
            capture_output=True, text=True, timeout=timeout, check=False, stdin=stdin,
            preexec_fn=_limiter(limits) if limits is not None else None,
        )
    except FileNotFoundError:
        raise error(f"{what} failed: {argv[0]!r} was not found") from None
    except PermissionError:
        raise error(f"{what} failed: {argv[0]!r} cannot be run (permission denied)") from None
    except subprocess.SubprocessError:  # raised in the child by _limiter
        raise error(f"{what} failed: its limits or user could not be applied") from None
    except subprocess.TimeoutExpired:
        raise error(f"{what} timed out after {timeout:.0f}s") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        raise error(f"{what} failed (exit {completed.returncode}):\n{tail}")
    return completed


def exit_code_of(returncode: int) -> int:
    """A shell-style exit code: a child killed by signal N exits 128+N."""
    return 128 - returncode if returncode < 0 else returncode


@dataclass(frozen=True)
class Limits:
    """OS-enforced limits for a child, applied in the child between fork and exec.

    None leaves a limit as inherited. `processes` (RLIMIT_NPROC) counts every process of the
    child's real user, so it only means something with a dedicated `uid`; `cgroups` are
    process lists (`cgroup.procs` files) the child joins first, while still privileged.
    """

    cpu_seconds: int | None = None  # RLIMIT_CPU: SIGXCPU, then SIGKILL 5s later
    memory_bytes: int | None = None  # RLIMIT_AS
    file_bytes: int | None = None  # RLIMIT_FSIZE: SIGXFSZ on a larger write
    processes: int | None = None  # RLIMIT_NPROC
    uid: int | None = None  # switch to this user (and `gid`, no supplementary groups)
    gid: int | None = None
    cgroups: tuple[Path, ...] = ()


def _limiter(limits: Limits) -> Callable[[], None]:
    """The function the child runs before exec: only system calls, no Python-level locks
    (the parent may have threads)."""
    import resource

    def within(kind: int, value: int) -> int:
        # An unprivileged process cannot raise its hard limit: never ask for more than it has.
        ceiling = resource.getrlimit(kind)[1]
        return value if ceiling == resource.RLIM_INFINITY else min(value, ceiling)

    settings = [(kind, within(kind, soft), within(kind, hard)) for kind, soft, hard in (
        (resource.RLIMIT_CPU, limits.cpu_seconds,
         None if limits.cpu_seconds is None else limits.cpu_seconds + 5),
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        (resource.RLIMIT_NPROC, limits.processes, limits.processes),
    ) if soft is not None and hard is not None]
    joins = [os.fsencode(path) for path in limits.cgroups]
    pid_text = b"0"  # "0" in cgroup.procs means the writing process itself

    def apply() -> None:
        for procs in joins:
            handle = os.open(procs, os.O_WRONLY)
            try:
                os.write(handle, pid_text)
            finally:
                os.close(handle)
        for kind, soft, hard in settings:
            resource.setrlimit(kind, (soft, hard))
        if limits.uid is not None:
            os.setgroups([])
            gid = limits.gid if limits.gid is not None else limits.uid
            os.setresgid(gid, gid, gid)
            os.setresuid(limits.uid, limits.uid, limits.uid)

    return apply


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
) -> tuple[int, bool]:
    """Run `argv` with output streamed live (to `stdout`, default ours) and copied to the logs.

    The child gets its own process group so that brain decides what a Ctrl-C means: it is
    forwarded to the child, which gets GRACE_SECONDS to exit before SIGTERM, then SIGKILL.
    A SIGTERM or SIGHUP sent to brain is forwarded the same way, so a scheduler stopping brain
    never leaves the child running. `limits` are applied in the child before exec; the stderr
    log keeps at most `log_limit` bytes (then `on_log_full` is called once, and output is still
    drained). Returns (exit code, interrupted).
    """
    try:
        child = subprocess.Popen(  # argv list, never a shell
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            # Only system calls run there (see _limiter), so threads in brain cannot deadlock it.
            preexec_fn=_limiter(limits) if limits is not None else None,
            pass_fds=tuple(pass_fds),
        )
    except FileNotFoundError:
        raise EnvironmentFailure(f"cannot run {argv[0]!r}: command not found",
                                 hint="is it installed in the project's environment?") from None
    except PermissionError:
        raise EnvironmentFailure(f"cannot run {argv[0]!r}: permission denied") from None
    except subprocess.SubprocessError:  # raised in the child by _limiter
        raise EnvironmentFailure(f"cannot run {argv[0]!r}: its limits or user could not be "
                                 "applied", hint="a user switch needs root") from None
    budget = _LogBudget(log_limit, on_log_full)
    pumps = [
        _pump(child.stdout, stdout or sys.stdout, stdout_log),
        _pump(child.stderr, sys.stderr, stderr_log, budget),
    ]
    interrupted = False
    with _forwarding_termination(child) as terminated:
        try:
            if on_start is not None:
                on_start(child)
        except KeyboardInterrupt:
            interrupted = True
            stop_process_group(child)
        while True:
            try:
                returncode = child.wait()
                break
            except KeyboardInterrupt:
                interrupted = True
                stop_process_group(child)
    # A background grandchild may hold the pipes open after the child exited: do not wait for
    # it (the pump threads are daemons and keep logging while brain lives).
    deadline = time.monotonic() + PIPE_DRAIN_SECONDS
    for pump in pumps:
        pump.join(timeout=max(0.0, deadline - time.monotonic()))
    return exit_code_of(returncode), interrupted or bool(terminated)


PIPE_DRAIN_SECONDS = 2.0


@contextmanager
def _forwarding_termination(child: subprocess.Popen[bytes]) -> Iterator[list[int]]:
    """While the child runs, SIGTERM/SIGHUP to brain are passed on to the child's group."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received  # signal handlers can only be set from the main thread
        return

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield received
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


def _pump(source: IO[bytes] | None, sink: IO[str], log: Path | None,
          budget: _LogBudget | None = None) -> threading.Thread:
    def copy() -> None:
        assert source is not None
        log_file = log.open("ab") if log is not None else None
        out = getattr(sink, "buffer", None)
        try:
            for chunk in iter(lambda: source.read1(65536), b""):  # type: ignore[attr-defined]
                kept = budget.take(chunk) if budget is not None else chunk
                if log_file is not None and kept:
                    log_file.write(kept)
                    log_file.flush()
                try:
                    if out is not None:
                        out.write(chunk)
                        out.flush()
                    else:
                        sink.write(chunk.decode("utf-8", "replace"))
                        sink.flush()
                except (BrokenPipeError, ValueError):
                    out = None  # our own stdout went away; keep logging
        finally:
            if log_file is not None:
                log_file.close()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread
