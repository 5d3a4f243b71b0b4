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
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion with captured output; raise `error` naming `what` on failure.

    `stdin`, a real file, is the child's input (a build context for `docker build -`).
    """
    try:
        completed = subprocess.run(  # argv list, never a shell
            list(argv), cwd=cwd, env=dict(env) if env is not None else scrubbed_environment(),
            capture_output=True, text=True, timeout=timeout, check=False, stdin=stdin,
        )
    except FileNotFoundError:
        raise error(f"{what} failed: {argv[0]!r} was not found") from None
    except subprocess.TimeoutExpired:
        raise error(f"{what} timed out after {timeout:.0f}s") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        raise error(f"{what} failed (exit {completed.returncode}):\n{tail}")
    return completed


def exit_code_of(returncode: int) -> int:
    """A shell-style exit code: a child killed by signal N exits 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def run_live(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout_log: Path | None = None,
    stderr_log: Path | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    stdout: IO[str] | None = None,
) -> tuple[int, bool]:
    """Run `argv` with output streamed live (to `stdout`, default ours) and copied to the logs.

    The child gets its own process group so that brain decides what a Ctrl-C means: it is
    forwarded to the child, which gets GRACE_SECONDS to exit before SIGTERM, then SIGKILL.
    A SIGTERM or SIGHUP sent to brain is forwarded the same way, so a scheduler stopping brain
    never leaves the child running. Returns (exit code, interrupted).
    """
    try:
        child = subprocess.Popen(  # argv list, never a shell
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
    except FileNotFoundError:
        raise EnvironmentFailure(f"cannot run {argv[0]!r}: command not found",
                                 hint="is it installed in the project's environment?") from None
    except PermissionError:
        raise EnvironmentFailure(f"cannot run {argv[0]!r}: permission denied") from None
    pumps = [
        _pump(child.stdout, stdout or sys.stdout, stdout_log),
        _pump(child.stderr, sys.stderr, stderr_log),
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


def _pump(source: IO[bytes] | None, sink: IO[str], log: Path | None) -> threading.Thread:
    def copy() -> None:
        assert source is not None
        log_file = log.open("ab") if log is not None else None
        out = getattr(sink, "buffer", None)
        try:
            for chunk in iter(lambda: source.read1(65536), b""):  # type: ignore[attr-defined]
                if log_file is not None:
                    log_file.write(chunk)
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
