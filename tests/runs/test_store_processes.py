"""The store under real processes: concurrent writers, a killed owner, a writer holding locks."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from brain.errors import Busy
from brain.runs.store import RunStore

# A child that records one run the way `brain run` does: insert `running`, then finish.
_WRITER = textwrap.dedent("""
    import os, sys, time
    from brain.runs.record import RunRecord
    from brain.runs.store import RunStore, new_run_id
    from brain.runs.provenance import host_name
    store = RunStore(sys.argv[1])
    record = RunRecord(
        id=new_run_id(), namespace="default", project="p", version="1", project_path="/p",
        entry_point="main", parameters={"writer": int(sys.argv[2])}, command="true",
        backend="venv", env_identity="e", spec_hash="s", python_version="3.11",
        host=host_name(), user="u", pid=os.getpid(), started_at=time.time())
    store.insert(record)
    print(record.id, flush=True)
    if sys.argv[3] == "finish":
        store.finish(record.id, "succeeded", 0, time.time(), extra={"n": int(sys.argv[2])})
    else:
        time.sleep(600)
""")


def _writer(path: Path, number: int, then: str = "finish") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(number), then],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None and child.stderr is not None
    line = child.stdout.readline().strip()
    if not line:
        child.kill()
        pytest.fail(f"the writer failed: {child.stderr.read()}")
    return line


def _where(tmp_path: Path, store_backend: str, name: str) -> Path | str:
    """A store not made yet: a file (SQLite) or a fresh database (PostgreSQL)."""
    return tmp_path / "home" / name if store_backend == "sqlite" else os.environ["BRAIN_STORE"]


def test_twenty_concurrent_writers_on_a_new_store(tmp_path, store_backend):
    path = _where(tmp_path, store_backend, "brain.db")  # the writers race to create it
    writers = [_writer(path, number) for number in range(20)]
    outcomes = [writer.communicate(timeout=120) for writer in writers]
    assert [w.returncode for w in writers] == [0] * 20, [err for _, err in outcomes]
    with RunStore(path) as store:
        records = store.list(limit=100)
        assert len(records) == 20 == store.count()
        assert sorted(r.parameters["writer"] for r in records) == list(range(20))
        assert {r.id for r in records} == {out.strip() for out, _ in outcomes}
        assert all(r.status == "succeeded" and r.extra["n"] == r.parameters["writer"]
                   for r in records)
        assert store.integrity_check() == []
    if store_backend == "sqlite":
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1


def test_a_killed_owner_leaves_a_record_that_becomes_unknown(tmp_path, store_backend):
    path = _where(tmp_path, store_backend, "brain.db")
    victim = _writer(path, 1, then="hang")
    survivor = _writer(path, 2, then="hang")
    try:
        victim_id, survivor_id = _first_line(victim), _first_line(survivor)
        with RunStore(path) as store:
            assert store.reconcile() == 0
            assert store.get(victim_id).status == "running"
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            assert store.reconcile() == 1
            assert store.get(victim_id).status == "unknown"
            assert store.get(survivor_id).status == "running"  # its owner still lives
            assert store.reconcile() == 0
    finally:
        for child in (victim, survivor):
            child.kill()
            child.wait(timeout=30)


def test_reconcile_sees_through_a_recycled_pid_and_ignores_other_hosts(store, make_record):
    # Our own pid, but the run "started" an hour before this process did: not its owner.
    recycled = make_record(pid=os.getpid(), started_at=time.time() - 3600)
    mine = make_record(pid=os.getpid(), started_at=time.time())
    elsewhere = make_record(pid=999_999_999, host="another-host")
    finished = make_record(pid=999_999_999, status="succeeded")
    for record in (recycled, mine, elsewhere, finished):
        store.insert(record)
    assert store.reconcile() == 1
    assert store.get(recycled.id).status == "unknown"
    assert store.get(mine.id).status == "running"
    assert store.get(elsewhere.id).status == "running"
    assert store.get(finished.id).status == "succeeded"


_LOCKER = textwrap.dedent("""
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    locker = subprocess.Popen([sys.executable, "-c", _LOCKER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
    return locker


@pytest.mark.sqlite_only
def test_busy_past_the_timeout(tmp_path, make_record):
    path = tmp_path / "brain.db"
    with RunStore(path) as store:
        store.insert(make_record())
    locker = _hold_lock(path, 30)
    try:
        with RunStore(path, timeout=0.3) as store:
            assert store.count() == 1  # WAL: readers are not blocked by a writer
            started = time.monotonic()
            with pytest.raises(Busy) as error:
                store.insert(make_record())
            waited = time.monotonic() - started
            assert 0.25 <= waited < 10
            assert error.value.exit_code == 4 and str(path) in error.value.message
            assert store.count() == 1  # the same store keeps working after a Busy
    finally:
        locker.kill()
        locker.wait(timeout=30)
    with RunStore(path, timeout=0.3) as store:
        store.insert(make_record())
        assert store.count() == 2


@pytest.mark.sqlite_only
def test_best_effort_reconcile_gives_up_quietly_when_busy(tmp_path, make_record):
    path = tmp_path / "brain.db"
    with RunStore(path) as store:
        store.insert(make_record(pid=999_999_999))
    locker = _hold_lock(path, 30)
    try:
        with RunStore(path, timeout=5) as store:
            started = time.monotonic()
            assert store.reconcile(best_effort=True) == 0
            assert time.monotonic() - started < 2
            with pytest.raises(Busy):
                RunStore(path, timeout=0.2).reconcile()
    finally:
        locker.kill()
        locker.wait(timeout=30)
    with RunStore(path) as store:
        assert store.reconcile(best_effort=True) == 1
