"""Interpreter discovery (real pyenv / PATH interpreters) and the per-project file lock
(held by a real second process)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from brain.envs.interpreters import discover, find_interpreter
from brain.envs.locking import ProjectLock, describe_owner
from brain.errors import Busy, EnvironmentFailure


def test_discovery_finds_the_running_python_and_real_executables() -> None:
    found = discover()
    versions = {interpreter.version[:2] for interpreter in found}
    assert sys.version_info[:2] in versions
    assert all(interpreter.path.exists() for interpreter in found)
    assert not any("shims" in interpreter.path.parts for interpreter in found)
    assert found == sorted(found, reverse=True)


def test_a_version_is_matched_by_prefix() -> None:
    wanted = f"{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = find_interpreter(wanted)
    assert interpreter.version[:2] == sys.version_info[:2]
    exact = find_interpreter(interpreter.version_text)
    assert exact.version == interpreter.version


def test_a_missing_version_lists_what_was_found() -> None:
    with pytest.raises(EnvironmentFailure) as caught:
        find_interpreter("3.5")
    message = caught.value.message
    assert message.startswith("Python 3.5 is not installed on this machine (found: ")
    assert f"{sys.version_info.major}.{sys.version_info.minor}." in message
    assert caught.value.exit_code == 3
    assert caught.value.hint is not None and "env.python.version" in caught.value.hint


_HOLDER = """
import sys, time
from pathlib import Path
from brain.envs.locking import ProjectLock
with ProjectLock(Path(sys.argv[1]), command="brain setup-deps"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(lock: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_busy_project_names_its_owner_and_times_out_with_exit_4(tmp_path: Path) -> None:
    lock = tmp_path / ".brain" / "lock"
    holder = _hold(lock, 30)
    try:
        assert f"pid {holder.pid}" in describe_owner(lock)
        waited: list[str] = []
        started = time.monotonic()
        with pytest.raises(Busy) as caught:
            ProjectLock(lock, command="brain lock", timeout=0.5, on_wait=waited.append).acquire()
        assert time.monotonic() - started >= 0.5
        assert f"pid {holder.pid}" in caught.value.message
        assert "`brain setup-deps`" in caught.value.message
        assert caught.value.exit_code == 4
        assert waited and f"pid {holder.pid}" in waited[0]
    finally:
        holder.kill()
        holder.wait()


def test_a_waiter_gets_the_lock_when_the_owner_finishes(tmp_path: Path) -> None:
    lock = tmp_path / ".brain" / "lock"
    holder = _hold(lock, 1.0)
    try:
        started = time.monotonic()
        with ProjectLock(lock, command="brain clean", timeout=30):
            assert time.monotonic() - started > 0.3
            assert "brain clean" in describe_owner(lock)
        assert describe_owner(lock) == "another brain process"  # cleared on release
    finally:
        holder.wait()


def test_a_killed_owner_never_leaves_a_stale_lock(tmp_path: Path) -> None:
    lock = tmp_path / ".brain" / "lock"
    holder = _hold(lock, 60)
    holder.kill()
    holder.wait()
    with ProjectLock(lock, command="brain setup-deps", timeout=2):
        pass
