"""Waiting and helping in threads without losing brain's signals.

The kernel hands a signal sent to brain to any of its threads that does not block it; Python
then only flags it for the main thread, which notices at its next bytecode. A main thread
blocked in a wait (for its child, for a future) would never get there, and Ctrl-C, SIGTERM or
SIGHUP would be lost until the child ended on its own. So helper threads block them, and the
main thread waits in a way that wakes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable

# The signals brain acts on in its main thread (Ctrl-C, and those forwarded to a child).
_MAIN_THREAD_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def quiet_thread(target: Callable[..., object], *args: object) -> threading.Thread:
    """Start a daemon helper thread that never takes brain's signals, so the kernel hands
    them to the main thread. (A thread that starts processes must not block them: its mask
    would be theirs.)"""
    def quiet() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, _MAIN_THREAD_SIGNALS)
        target(*args)

    thread = threading.Thread(target=quiet, daemon=True)
    thread.start()
    return thread


def quiet_timer(seconds: float, target: Callable[[], object]) -> threading.Event:
    """Call `target` on a daemon helper thread after `seconds`, unless the event returned is
    set first. The thread takes none of brain's signals while it waits; they are unblocked
    for `target`, which may start processes (its mask would be theirs)."""
    cancelled = threading.Event()

    def wait_then_call() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, _MAIN_THREAD_SIGNALS)
        if not cancelled.wait(seconds):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _MAIN_THREAD_SIGNALS)
            target()

    threading.Thread(target=wait_then_call, daemon=True).start()
    return cancelled


# How often a main thread waiting for its child looks at signals (see wait_awake).
WAKE_SECONDS = 0.25


def wait_awake(child: subprocess.Popen[bytes]) -> int:
    """`child.wait()` that still sees brain's signals when one went to another thread (one
    a library started, a sweep's point) and returns the moment the child ends: the child's
    pidfd in short selects, without the polling delay of `wait(timeout)`."""
    import select

    try:
        handle = os.pidfd_open(child.pid)
    except (AttributeError, OSError):  # no pidfd (not Linux 5.3+): a plain wait
        return child.wait()
    try:
        while child.poll() is None:
            select.select([handle], [], [], WAKE_SECONDS)
    finally:
        os.close(handle)
    return child.returncode
