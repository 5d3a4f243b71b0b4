"""Many brains writing one SQLite store at once: every record lands exactly once, and a
writer that cannot get the lock in time fails loudly (Busy, exit 4), never silently."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.errors import EXIT_BUSY, Busy
from brain.runs.record import RunRecord
from brain.runs.store import RunStore

WRITERS = 20
EACH = 50


def _write(where: str, writer: int, fields: dict[str, object],
           failures: multiprocessing.Queue) -> None:
    """One writer process: insert then finish EACH records, as `brain run` records a run."""
    failed = []
    with RunStore(where) as store:
        for number in range(EACH):
            run = RunRecord(**{**fields, "id": f"{writer:04x}{number:012x}",  # type: ignore
                               "started_at": time.time()})
            try:
                store.insert(run)
                store.finish(run.id, "succeeded", 0, time.time())
            except Exception as error:  # reported to the test, which then fails
                failed.append(f"{type(error).__name__}: {error}")
    failures.put(failed)


def test_concurrent_writer_processes_lose_and_duplicate_nothing(
        isolated: Path, make_record: Callable[..., RunRecord]) -> None:
    where = str(isolated / "shared.db")
    with RunStore(where) as store:
        store.count()  # created and migrated before the race: the race is about records
    fields = make_record()._asdict()
    context = multiprocessing.get_context("fork")
    failures: multiprocessing.Queue = context.Queue()
    writers = [context.Process(target=_write, args=(where, w, fields, failures))
               for w in range(WRITERS)]
    for process in writers:
        process.start()
    reported = [failures.get(timeout=600) for _ in writers]
    for process in writers:
        process.join(timeout=60)
    assert [process.exitcode for process in writers] == [0] * WRITERS
    assert [line for lines in reported for line in lines] == []
    with RunStore(where) as store:
        rows = store.database.read(lambda db: db.exec_driver_sql(
            "SELECT id, status FROM runs").fetchall())
    ids = [row[0] for row in rows]
    assert len(ids) == WRITERS * EACH
    assert set(ids) == {f"{w:04x}{n:012x}" for w in range(WRITERS) for n in range(EACH)}
    assert {row[1] for row in rows} == {"succeeded"}


def test_a_writer_that_cannot_get_the_lock_fails_with_busy(
        isolated: Path, make_record: Callable[..., RunRecord]) -> None:
    where = isolated / "held.db"
    with RunStore(where) as store:
        store.count()
    holder = sqlite3.connect(where, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another brain mid-write, for longer than we wait
    try:
        with RunStore(where, timeout=0.5) as store, pytest.raises(Busy) as raised:
            store.insert(make_record())
        assert raised.value.exit_code == EXIT_BUSY
        assert "busy" in raised.value.message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with RunStore(where) as store:
        assert store.count() == 0
        store.insert(make_record())  # the lock released: the next write goes through
        assert store.count() == 1
