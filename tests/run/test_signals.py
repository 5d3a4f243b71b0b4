"""Ctrl-C, a killed brain, and concurrent runs, with brain as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.store import RunStore
from tests.run.conftest import SLEEP_SCRIPT, process_gone, start_brain, wait_for

SPEC = """
name: sleeper
version: 0.1.0
entry_points:
  sleep:
    type: shell
    command: python sleeper.py {{ seconds }}
    parameters:
      seconds: {type: float, default: 60}
  sleep in bash:
    type: bash
    command: python sleeper.py 60; echo never
  quick:
    type: shell
    command: python -c "print('hi')"
"""


@pytest.fixture
def project(ready_project: Callable[..., Path]) -> Path:
    return ready_project({"onebrain.yml": SPEC, "sleeper.py": SLEEP_SCRIPT})


def child_pid(root: Path, brain: subprocess.Popen[str]) -> int:
    pid_file = root / "child.pid"
    wait_for(lambda: pid_file.exists() or brain.poll() is not None, what="the child to start")
    assert brain.poll() is None, brain.communicate()
    return int(pid_file.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["sleep", "sleep in bash"])
def test_ctrl_c_is_forwarded_then_brain_exits_130(project: Path, entry: str) -> None:
    brain = start_brain("run", str(project), "-e", entry, "--no-setup")
    child = child_pid(project, brain)
    brain.send_signal(signal.SIGINT)
    out, err = brain.communicate(timeout=30)
    assert brain.returncode == 130, err
    assert process_gone(child)
    assert "never" not in out
    record = RunStore().list()[0]
    assert record.status == "interrupted"
    assert record.ended_at is not None
    assert f"run {record.id} interrupted" in err


@pytest.mark.slow
def test_sigterm_to_brain_stops_the_child_too(project: Path) -> None:
    brain = start_brain("run", str(project), "-e", "sleep", "--no-setup")
    child = child_pid(project, brain)
    brain.send_signal(signal.SIGTERM)
    brain.communicate(timeout=30)
    assert brain.returncode == 143  # 128 + SIGTERM, as a shell reports a terminated command
    assert process_gone(child)
    record = RunStore().list()[0]
    assert record.status == "interrupted" and record.exit_code == 143


@pytest.mark.slow
def test_a_killed_brain_leaves_a_record_that_becomes_unknown(project: Path) -> None:
    brain = start_brain("run", str(project), "-e", "sleep", "-P", "seconds=30", "--no-setup")
    child = child_pid(project, brain)
    try:
        brain.kill()  # SIGKILL: brain cannot finish its record
        brain.communicate(timeout=30)
        store = RunStore()
        record = store.list()[0]
        assert record.status == "running"
        assert store.reconcile() == 1
        assert store.get(record.id).status == "unknown"
        assert store.integrity_check() == []
    finally:
        os.kill(child, signal.SIGKILL)  # the orphaned child of the brain this test started


@pytest.mark.slow
def test_twenty_concurrent_runs_make_twenty_records(project: Path) -> None:
    brains = [start_brain("run", str(project), "-e", "quick", "--no-setup") for _ in range(20)]
    outcomes = [(brain.wait(timeout=120), brain.communicate()) for brain in brains]
    assert [code for code, _ in outcomes] == [0] * 20, [err for _, (_, err) in outcomes]
    assert all(out == "hi\n" for _, (out, _) in outcomes)
    store = RunStore()
    records = store.list(limit=100)
    assert len(records) == 20
    assert len({record.id for record in records}) == 20
    assert {record.status for record in records} == {"succeeded"}
    assert len({record.stdout_log for record in records}) == 20
    assert store.integrity_check() == []


def test_module_entry_point_runs(project: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "brain", "run", str(project), "-e",
                                "quick", "--no-setup"], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "hi\n"


def _blocked_signals() -> set[int]:
    """The signals the calling thread blocks, from the kernel's own account."""
    with open("/proc/thread-self/status", encoding="ascii") as status:
        mask = next(int(line.split()[1], 16) for line in status if line.startswith("SigBlk:"))
    return {number for number in range(1, 65) if mask >> (number - 1) & 1}


def test_helper_threads_leave_brains_signals_to_the_main_thread() -> None:
    # A signal the kernel hands to a helper thread is only flagged for the main thread, which
    # sleeps in a wait for the child and would never look: helpers block them instead.
    from brain.process_waits import quiet_thread

    seen: list[set[int]] = []
    quiet_thread(lambda: seen.append(_blocked_signals())).join(timeout=10)
    assert {signal.SIGINT, signal.SIGTERM, signal.SIGHUP} <= seen[0]
    assert signal.SIGINT not in _blocked_signals()  # the main thread still takes them


WAITER = """
import signal, subprocess, sys, threading, time
from brain.process_waits import wait_awake
child = subprocess.Popen(["sleep", "30"])
helper = threading.Thread(target=time.sleep, args=(30,), daemon=True)  # takes signals
helper.start()
threading.Timer(0.5, signal.pthread_kill, (helper.ident, signal.SIGINT)).start()
try:
    wait_awake(child)
    print("the wait ended with the child")
except KeyboardInterrupt:
    print("interrupted while the child ran:", child.poll() is None)
    child.kill()
"""


def test_a_ctrl_c_that_lands_on_another_thread_still_wakes_the_waiting_main_thread() -> None:
    # The SIGINT is delivered to a helper thread; a plain waitpid in the main thread would
    # sleep through it until the child ended (30 s).
    done = subprocess.run([sys.executable, "-c", WAITER], capture_output=True, text=True,
                          timeout=20, check=False)
    assert done.stdout.strip() == "interrupted while the child ran: True", done.stderr


EARLY = """
import signal, sys
from pathlib import Path
from brain.process import run_live
# The child signals brain the moment it starts: before brain has even seen it started.
code, stopped_by = run_live(["sh", "-c", "kill -HUP $PPID; exec sleep 30"], cwd=Path("."),
                            env={"PATH": "/usr/bin:/bin"})
print(code, stopped_by == signal.SIGHUP)
"""


def test_a_sighup_at_the_childs_first_instant_is_passed_on_not_lost(tmp_path: Path) -> None:
    # Without forwarding set up before the child starts, brain would die of the default
    # action (or miss it) and leave `sleep 30` running in its own session.
    done = subprocess.run([sys.executable, "-c", EARLY], cwd=tmp_path, capture_output=True,
                          text=True, timeout=20, check=False)
    assert done.stdout.split() == ["129", "True"], (done.returncode, done.stderr)
