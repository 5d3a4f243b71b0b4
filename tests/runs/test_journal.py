"""When `brain run` has its spooled record synced into the store (brain.runs.journal): a short
run once, at its end; a longer one also soon after it started, by a real detached sync."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from brain.runs import journal
from brain.runs.journal import RunJournal
from brain.runs.record import RunRecord
from brain.runs.store import RunStore
from brain.store import spool

pytestmark = pytest.mark.sqlite_only


def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_short_run_is_synced_once_at_its_end(monkeypatch: pytest.MonkeyPatch,
                                               make_record: Callable[..., RunRecord]) -> None:
    syncs: list[float] = []
    monkeypatch.setattr(journal, "_sync_later", lambda: syncs.append(time.monotonic()))
    run = RunJournal(make_record(status="running"))
    run.start()
    run.finish("succeeded", 0, time.time())
    assert len(syncs) == 1
    time.sleep(journal.START_SYNC_DELAY + 0.3)  # the start's own sync was called off
    assert len(syncs) == 1
    assert [path.name.split(".")[1] for path, _ in spool.pending()] == ["start", "end"]


def test_a_longer_run_has_its_start_synced_while_it_goes_on(
        monkeypatch: pytest.MonkeyPatch, default_store: RunStore,
        make_record: Callable[..., RunRecord]) -> None:
    monkeypatch.setattr(journal, "START_SYNC_DELAY", 0.05)
    record = make_record(status="running")
    run = RunJournal(record)
    run.start()
    # The detached sync takes the start file out of the spool (into the store).
    assert _wait_for(lambda: not spool.has_pending()), "the start was never synced"
    run.finish("succeeded", 0, time.time())
    assert _wait_for(lambda: not spool.has_pending()), "the end was never synced"
    assert default_store.get(record.id).status == "succeeded"
