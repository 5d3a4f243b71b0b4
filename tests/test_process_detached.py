"""brain.process_detached: a detached child starts in its own session with nothing of brain's
but the environment given, and every child started is reaped, from any thread."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from brain import process_detached
from brain.process_detached import start_detached


def _wait_for(path: Path) -> str:
    deadline = time.monotonic() + 30
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.02)
    time.sleep(0.05)  # written whole: the child writes it in one call
    return path.read_text()


def test_a_detached_child_gets_no_descriptor_of_brains(tmp_path: Path) -> None:
    seen = tmp_path / "fds.txt"
    held = os.open(tmp_path / "lock", os.O_WRONLY | os.O_CREAT)
    try:
        os.set_inheritable(held, True)  # as `9>lock` hands one to brain
        script = (f"import os; open({str(seen)!r}, 'w').write(' '.join("
                  "sorted(os.listdir('/proc/self/fd'))) + ' ' + str(os.getsid(0) == os.getpid()))")
        assert start_detached([sys.executable, "-c", script])
        fds, own_session = _wait_for(seen).rsplit(" ", 1)
    finally:
        os.close(held)
    assert str(held) not in fds.split()
    assert own_session == "True"


def test_a_program_that_is_nowhere_is_not_started() -> None:
    assert not start_detached(["brain-no-such-program-anywhere"])


def test_children_started_from_many_threads_are_all_reaped() -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            for _ in range(10):
                assert start_detached([sys.executable, "-S", "-c", "pass"])
        except BaseException as error:  # handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    deadline = time.monotonic() + 30
    while process_detached._started:
        assert time.monotonic() < deadline, "children left unreaped"
        time.sleep(0.05)
        process_detached._reap()
