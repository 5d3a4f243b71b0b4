"""The spool's sync through kept statements (brain.runs.store_sync.kept_sync), on SQLite and
PostgreSQL: records arrive exactly as the SQLAlchemy path writes them, the detached helper
imports no SQLAlchemy, and a busy store or a missing kept statement leaves the spool whole
for the SQLAlchemy path."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.runs.history import recent_runs
from brain.runs.record import RunRecord
from brain.runs.store import RunStore
from brain.runs.store_schema import row_of
from brain.runs.store_sync import kept_sync, main
from brain.store import spool


def _spool_run(record: RunRecord, *, ended: bool) -> None:
    """What `brain run` leaves: the start file, and the end file once it ended."""
    spool.keep(row_of(record), "start")
    if ended:
        finished = record._replace(status="succeeded", exit_code=0,
                                   ended_at=record.started_at + 2)
        spool.keep(row_of(finished), "end")


@pytest.fixture
def kept_statements(default_store: RunStore, make_record: Callable[..., RunRecord]) -> None:
    """One sync through SQLAlchemy, which keeps the statements the kept path runs."""
    _spool_run(make_record(), ended=True)
    assert main() == 0
    assert not spool.has_pending()


def test_a_finished_run_arrives_whole(kept_statements: None, default_store: RunStore,
                                      make_record: Callable[..., RunRecord]) -> None:
    record = make_record(parameters={"note": "it's \"quoted\"; DROP TABLE runs; --"})
    _spool_run(record, ended=True)
    assert kept_sync()
    assert not spool.has_pending()
    found = default_store.get(record.id)
    assert found.status == "succeeded" and found.exit_code == 0
    assert found.parameters == record.parameters
    assert len(recent_runs(limit=10)) == 2


def test_a_start_then_its_end_in_two_syncs(kept_statements: None, default_store: RunStore,
                                           make_record: Callable[..., RunRecord]) -> None:
    record = make_record(status="running")
    _spool_run(record, ended=False)
    assert kept_sync()
    assert default_store.get(record.id).status == "running"
    spool.keep(row_of(record._replace(status="failed", exit_code=2, ended_at=1e10)), "end")
    assert kept_sync()
    assert (default_store.get(record.id).status, default_store.get(record.id).exit_code) == \
        ("failed", 2)


texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                max_size=40)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=texts, user=texts, note=texts)
def test_any_text_arrives_as_the_sqlalchemy_path_writes_it(
        kept_statements: None, make_record: Callable[..., RunRecord], command: str, user: str,
        note: str) -> None:
    kept_record = make_record(command=command, user=user, parameters={"note": note})
    other = make_record(command=command, user=user, parameters={"note": note})
    _spool_run(kept_record, ended=True)
    assert kept_sync()
    with RunStore() as store:
        store.insert(other)
        store.finish(other.id, "succeeded", 0, other.started_at + 2)
        by_kept, by_sqlalchemy = store.get(kept_record.id), store.get(other.id)
    differing = {name for name in RunRecord._fields
                 if getattr(by_kept, name) != getattr(by_sqlalchemy, name)}
    assert differing <= {"id", "started_at", "ended_at"}


def test_the_detached_helper_imports_no_sqlalchemy(kept_statements: None,
                                                   make_record: Callable[..., RunRecord],
                                                   default_store: RunStore) -> None:
    record = make_record()
    _spool_run(record, ended=True)
    helper = subprocess.run([sys.executable, "-X", "importtime", "-m", "brain.runs.store_sync"],
                            capture_output=True, text=True)
    assert helper.returncode == 0, helper.stderr
    assert "sqlalchemy" not in helper.stderr
    assert default_store.get(record.id).status == "succeeded"


def test_nothing_kept_yet_leaves_the_spool_to_sqlalchemy(
        default_store: RunStore, make_record: Callable[..., RunRecord], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    record = make_record()
    _spool_run(record, ended=True)
    assert not kept_sync()
    assert spool.has_pending()  # untouched
    assert main() == 0 and default_store.get(record.id).status == "succeeded"
    assert kept_sync()  # main kept them on the way


@pytest.mark.sqlite_only
def test_a_busy_sqlite_store_leaves_the_spool_whole(
        kept_statements: None, default_store: RunStore,
        make_record: Callable[..., RunRecord]) -> None:
    record = make_record()
    _spool_run(record, ended=True)
    assert default_store.path is not None
    holder = sqlite3.connect(default_store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert not kept_sync()
        assert len(os.listdir(Path(os.environ["BRAIN_HOME"]) / "spool")) == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert kept_sync()
    assert default_store.get(record.id).status == "succeeded"


@pytest.mark.sqlite_only
def test_a_spool_file_that_is_not_a_record_is_left_alone(
        kept_statements: None, make_record: Callable[..., RunRecord]) -> None:
    folder = Path(os.environ["BRAIN_HOME"]) / "spool"
    (folder / "ffffffffffffffff.start.json").write_text(json.dumps({"not": "a run"}))
    record = make_record()
    _spool_run(record, ended=False)
    assert kept_sync()
    assert [path.name for path in folder.iterdir()] == ["ffffffffffffffff.start.json"]
    assert any(run.id == record.id for run in recent_runs(limit=10))
