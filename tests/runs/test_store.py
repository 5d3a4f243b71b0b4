"""The run store (SQLite and PostgreSQL, see conftest): records in and out, filters, ids,
migrations of old SQLite files, damaged files."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path

import pytest

from brain.errors import EnvironmentFailure, InvalidInput
from brain.runs.record import GitState
from brain.runs.store import RunStore, entry_key, new_run_id
from brain.spec.models import normalize_entry_name
from brain.store.engine import HEAD

SCHEMA_VERSION = int(HEAD)
# The layout brain's SQLite store had at its schema version 1, before the store moved to
# SQLAlchemy and Alembic (copied here: old files in users' hands look like this).
_VERSION_ONE = (
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        namespace TEXT NOT NULL, project TEXT NOT NULL, version TEXT NOT NULL,
        project_path TEXT NOT NULL, entry_point TEXT NOT NULL, parameters TEXT NOT NULL,
        command TEXT NOT NULL, backend TEXT NOT NULL, env_identity TEXT NOT NULL,
        spec_hash TEXT NOT NULL, python_version TEXT, host TEXT NOT NULL,
        user TEXT NOT NULL, pid INTEGER NOT NULL, started_at REAL NOT NULL, ended_at REAL,
        status TEXT NOT NULL, exit_code INTEGER, git_commit TEXT, git_branch TEXT,
        git_remote TEXT, git_dirty INTEGER, stdout_log TEXT, stderr_log TEXT)""",
    "CREATE INDEX runs_started ON runs (started_at, id)",
)


@pytest.mark.sqlite_only
def test_created_on_first_use_with_its_folder_in_wal_mode(tmp_path, make_record):
    path = tmp_path / "a" / "b" / "runs.db"
    with RunStore(path) as store:
        store.insert(make_record())
        assert store.schema_version() == SCHEMA_VERSION
    assert path.is_file()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


def test_insert_get_round_trip_keeps_every_field(store, make_record):
    record = make_record(
        parameters={"alpha": 0.7, "n": 3, "flag": True, "ds": dt.date(2022, 1, 1),
                    "data": Path("data/train.csv"), "note": "a'b\"c; rm -rf /"},
        git=GitState(commit="b" * 40, branch=None, remote="https://example.com/r.git",
                     dirty=True),
        stdout_log="/logs/out.log", stderr_log="/logs/err.log", origin="brain://x",
        extra={"inputs": {"data/train.csv": "sha256:1"}},
    )
    store.insert(record)
    found = store.get(record.id)
    assert found.git == record.git
    assert found.parameters == {"alpha": 0.7, "n": 3, "flag": True, "ds": "2022-01-01",
                                "data": "data/train.csv", "note": "a'b\"c; rm -rf /"}
    for name in ("id", "namespace", "project", "version", "project_path", "entry_point",
                 "command", "backend", "env_identity", "spec_hash", "python_version", "host",
                 "user", "pid", "started_at", "status", "stdout_log", "stderr_log", "origin",
                 "extra"):
        assert getattr(found, name) == getattr(record, name), name
    assert found.ended_at is None and found.exit_code is None and found.duration is None


def test_git_state_absent_outside_git_survives(store, make_record):
    record = make_record(git=GitState())
    store.insert(record)
    assert store.get(record.id).git == GitState(None, None, None, None)


def test_finish_records_the_end_and_merges_extra(store, make_record):
    record = make_record(extra={"inputs": {"a": "1"}})
    store.insert(record)
    store.finish(record.id, "failed", 3, record.started_at + 2.5, extra={"outputs": {"m": "2"}})
    found = store.get(record.id)
    assert (found.status, found.exit_code, found.duration) == ("failed", 3, 2.5)
    assert found.extra == {"inputs": {"a": "1"}, "outputs": {"m": "2"}}


def test_finish_refuses_unknown_runs_and_statuses(store, make_record):
    record = make_record()
    store.insert(record)
    with pytest.raises(InvalidInput, match="no run with id"):
        store.finish("0" * 16, "succeeded", 0, time.time())
    with pytest.raises(InvalidInput, match="unknown run status 'done'"):
        store.finish(record.id, "done", 0, time.time())
    assert store.get(record.id).status == "running"


def test_duplicate_id_is_a_clear_error(store, make_record):
    record = make_record()
    store.insert(record)
    with pytest.raises(Exception, match=f"run id {record.id} already exists"):
        store.insert(record)


def test_list_newest_first_with_limit(store, make_record):
    records = [make_record() for _ in range(30)]
    for record in records:
        store.insert(record)
    assert [r.id for r in store.list()] == [r.id for r in reversed(records)][:20]
    assert [r.id for r in store.list(limit=3)] == [r.id for r in reversed(records)][:3]
    for bad in (0, -1, 2**70):
        with pytest.raises(InvalidInput, match="limit"):
            store.list(limit=bad)


def test_list_filters(store, make_record):
    a = make_record(project="alpha", namespace="lab", entry_point="fit models")
    b = make_record(project="alpha", namespace="prod", entry_point="report", status="failed")
    c = make_record(project="beta", namespace="lab", entry_point="fit_models")
    for record in (a, b, c):
        store.insert(record)

    def ids(**filters: str) -> list[str]:
        return [r.id for r in store.list(**filters)]  # type: ignore[arg-type]

    assert ids(project="alpha") == [b.id, a.id]
    assert ids(project="lab/alpha") == [a.id]
    assert ids(namespace="lab") == [c.id, a.id]
    assert ids(entry="Fit-Models") == [c.id, a.id]
    assert ids(status="failed") == [b.id]
    assert ids(project="alpha", status="running") == [a.id]
    assert ids(project="nobody") == []
    with pytest.raises(InvalidInput, match="unknown run status"):
        store.list(status="exploded")


def test_entry_key_matches_the_spec_rule():
    for name in ("fit models", "Fit_Models", " fit--models ", "a b_c-d"):
        assert entry_key(name) == normalize_entry_name(name)


def test_list_uses_indexes(store, make_record, store_backend):
    store.insert(make_record())
    plans = {
        "": "runs_started",
        "WHERE project = 'x'": "runs_project",
        "WHERE entry_key = 'x'": "runs_entry",
        "WHERE status = 'x'": "runs_status",
        "WHERE \"user\" = 'x'": "runs_user",
    }

    def explain(db, where):
        if store_backend == "sqlite":
            rows = db.exec_driver_sql(f"EXPLAIN QUERY PLAN SELECT id FROM runs {where} "
                                      "ORDER BY started_at DESC, id DESC LIMIT 20")
            return " ".join(str(row[-1]) for row in rows)
        # A one-row table is scanned whatever its indexes: ask whether one can serve it.
        db.exec_driver_sql("SET LOCAL enable_seqscan = off")
        db.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = db.exec_driver_sql(f"EXPLAIN SELECT id FROM runs {where} "
                                  "ORDER BY started_at DESC, id DESC LIMIT 20")
        return " ".join(str(row[0]) for row in rows)

    for where, index in plans.items():
        plan = store.database.read(lambda db, where=where: explain(db, where))
        assert index in plan and "TEMP B-TREE" not in plan, (where, plan)
        assert "Sort " not in plan, (where, plan)


def test_ids_sort_by_time_and_are_unique():
    first = new_run_id()
    time.sleep(0.003)
    second = new_run_id()
    assert len(first) == 16 and int(first, 16) >= 0
    assert first < second
    assert len({new_run_id() for _ in range(20_000)}) == 20_000


def test_get_by_unique_prefix_exact_id_and_case(store, make_record):
    one = make_record(id="0123456789abcdef")
    two = make_record(id="0123456789abcd00")
    other = make_record(id="fedcba9876543210")
    for record in (one, two, other):
        store.insert(record)
    assert store.get("f").id == other.id
    assert store.get("0123456789ABCDEF").id == one.id
    assert store.get("0123456789abcde").id == one.id
    with pytest.raises(InvalidInput) as error:
        store.get("0123")
    assert "ambiguous" in error.value.message
    assert one.id in error.value.message and two.id in error.value.message


def test_exact_id_that_prefixes_no_other_is_found_among_many(store, make_record):
    records = [make_record() for _ in range(15)]
    for record in records:
        store.insert(record)
    for record in records:
        assert store.get(record.id).id == record.id


@pytest.mark.parametrize("hostile", ["'; DROP TABLE runs; --", "..", "", "   ", "g",
                                     "0123456789abcdef0", "%", "_", "abc*", "../etc/passwd",
                                     "a\x00b", "\n"])
def test_hostile_ids_are_refused_and_harm_nothing(store, make_record, hostile):
    record = make_record()
    store.insert(record)
    with pytest.raises(InvalidInput) as error:
        store.get(hostile)
    assert "run id" in error.value.message and error.value.exit_code == 2
    assert store.count() == 1 and store.get(record.id).id == record.id


def test_unknown_id_is_a_clear_error(store, make_record):
    store.insert(make_record(id="1111111111111111"))
    with pytest.raises(InvalidInput, match="no run with id '2222'"):
        store.get("2222")


def _version_one_store(path: Path) -> None:
    """A store file as the first schema left it, holding one finished run."""
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                "applied_at REAL NOT NULL)")
    for statement in _VERSION_ONE:
        raw.execute(statement)
    raw.execute("INSERT INTO schema_version VALUES (1, 0)")
    raw.execute(
        "INSERT INTO runs VALUES ('0000000000000001', 'lab', 'old', '0.1', '/p', 'Fit Models',"
        " '{\"alpha\": 0.1}', 'python fit.py', 'venv', 'env', 'spec', '3.11', 'h', 'u', 1,"
        " 100.0, 101.5, 'succeeded', 0, 'c0ffee', 'main', NULL, 0, NULL, NULL)")
    raw.commit()
    raw.close()


@pytest.mark.sqlite_only
def test_migrates_a_version_one_store_keeping_its_runs(tmp_path, make_record):
    path = tmp_path / "old.db"
    _version_one_store(path)
    with RunStore(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        old = store.get("0000000000000001")
        assert (old.project, old.parameters, old.status, old.duration) == \
            ("old", {"alpha": 0.1}, "succeeded", 1.5)
        assert old.extra == {} and old.origin is None and old.git.dirty is False
        # The backfilled entry key makes the old run findable by any spelling.
        assert [r.id for r in store.list(entry="fit_models")] == [old.id]
        store.insert(make_record())
        assert store.count() == 2
        assert store.integrity_check() == []


@pytest.mark.sqlite_only
def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    with RunStore(path) as store:
        store.count()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE alembic_version SET version_num = '0099'")
    raw.commit()
    raw.close()
    with RunStore(path) as store, pytest.raises(EnvironmentFailure, match="schema version 99"):
        store.count()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("content", [b"this is not sqlite at all" * 100,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_corrupt_file_is_a_clear_error_naming_it(tmp_path, content):
    path = tmp_path / "brain.db"
    path.write_bytes(content)
    with RunStore(path) as store, pytest.raises(EnvironmentFailure) as error:
        store.list()
    assert str(path) in error.value.message and error.value.exit_code == 3
    assert "mv" in (error.value.hint or "")
    assert path.read_bytes() == content  # never "repaired" behind the user's back


@pytest.mark.sqlite_only
def test_a_folder_in_place_of_the_file(tmp_path):
    (tmp_path / "brain.db").mkdir()
    with RunStore(tmp_path / "brain.db") as store, pytest.raises(EnvironmentFailure,
                                                                  match="is a folder"):
        store.count()


@pytest.mark.sqlite_only
def test_an_unwritable_place(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with RunStore(blocker / "sub" / "brain.db") as store, \
            pytest.raises(EnvironmentFailure, match="cannot create the folder"):
        store.count()


def test_integrity_check_ok_on_a_sound_store(store, make_record):
    store.insert(make_record())
    assert store.integrity_check() == []


@pytest.mark.sqlite_only
def test_timeout_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BRAIN_STORE_TIMEOUT", "0.5")
    assert RunStore(tmp_path / "x.db").timeout == 0.5
    for bad in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv("BRAIN_STORE_TIMEOUT", bad)
        with pytest.raises(InvalidInput, match="BRAIN_STORE_TIMEOUT"):
            RunStore(tmp_path / "x.db")
