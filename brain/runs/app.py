"""App entry points: a long-running server that brain waits on until its port answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from subprocess import Popen

HOST = "127.0.0.1"
DEFAULT_START_TIMEOUT = 60.0
_POLL_SECONDS = 0.05


def port_answers(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def url_for(port: int, host: str = HOST) -> str:
    """The URL a user opens for an app on `port`."""
    return f"http://{host}:{port}/"


class PortWatcher:
    """Waits, in a thread, for an app's port to answer while its process is alive.

    When it answers, `on_ready(url)` is called once. If the process is still not listening
    after `timeout` seconds, the watcher sets `timed_out` and stops its process group (which
    the runner's wait then observes).
    """

    def __init__(self, port: int, *, timeout: float = DEFAULT_START_TIMEOUT,
                 on_ready: Callable[[str], None] | None = None) -> None:
        self.port = port
        self.timeout = timeout
        self.on_ready = on_ready
        self.ready = threading.Event()
        self.timed_out = False
        self._thread: threading.Thread | None = None

    def start(self, child: Popen[bytes]) -> None:
        """Begin watching `child` (called as soon as it started)."""
        from brain.process_waits import quiet_thread

        self._thread = quiet_thread(self._watch, child)

    def _watch(self, child: Popen[bytes]) -> None:
        deadline = time.monotonic() + self.timeout
        while child.poll() is None:
            if port_answers(self.port, timeout=_POLL_SECONDS * 4):
                self.ready.set()
                if self.on_ready is not None:
                    self.on_ready(url_for(self.port))
                return
            if time.monotonic() >= deadline:
                from brain.process import stop_process_group

                self.timed_out = True
                stop_process_group(child)
                return
            time.sleep(_POLL_SECONDS)
