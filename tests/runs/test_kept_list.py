"""`brain runs list` through kept statements (brain.store.kept): the same answer as the
SQLAlchemy path for every filter, on SQLite and PostgreSQL, without importing SQLAlchemy;
and the cases where it must step aside for that path (a spool to sync, a run to reconcile, a
store not at HEAD, a damaged kept file, a store that is a link)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.errors import EnvironmentFailure
from brain.runs.history import _kept_list, recent_runs
from brain.runs.record import RunRecord
from brain.runs.store import RunStore
from brain.runs.store_query import list_filters
from brain.statefs import UnsafeState
from brain.store import kept, spool

PROJECTS = ["fit-model", "report", "api"]
NAMESPACES = ["default", "team"]
ENTRIES = ["fit models", "main", "report"]
STATUSES = ["succeeded", "failed", "interrupted"]
USERS = ["ada", "grace"]
SWEEPS = ["s1", "s2"]


@pytest.fixture
def history(default_store: RunStore, make_record: Callable[..., RunRecord]) -> list[RunRecord]:
    """Thirty finished runs in the CLI's store, every filter value used by some of them."""
    records = [make_record(project=PROJECTS[n % 3], namespace=NAMESPACES[n % 2],
                           entry_point=ENTRIES[n % 3], status=STATUSES[n % 3],
                           user=USERS[n % 2], extra={"sweep": SWEEPS[n % 2]} if n % 4 else {},
                           exit_code=n % 3, ended_at=1_800_000_000.0)
               for n in range(30)]
    default_store.insert_many(records)
    return records


filters = st.fixed_dictionaries({}, optional={
    "project": st.sampled_from([*PROJECTS, "team/report", "nobody"]),
    "namespace": st.sampled_from(NAMESPACES),
    "entry": st.sampled_from([*ENTRIES, "Fit_Models"]),
    "status": st.sampled_from(STATUSES),
    "user": st.sampled_from([*USERS, "o'brien; --"]),
    "since": st.floats(min_value=1.6e9, max_value=1.8e9),
    "sweep": st.sampled_from([*SWEEPS, " s1 "]),
    "limit": st.integers(min_value=1, max_value=40),
})


def _other(name: str, value: Any) -> Any:
    """A different value of the same filter: a statement kept with it must still answer."""
    if name == "project" and "/" in value:
        return "zz/another"  # a namespace too: the same shape
    return {"limit": 1, "since": 1.0}.get(name, "zz-another")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=filters)
def test_kept_statements_answer_as_the_store_does(history: list[RunRecord],
                                                  chosen: dict[str, Any]) -> None:
    base: dict[str, Any] = {"project": None, "namespace": None, "entry": None,
                            "status": None, "limit": 20, "sweep": None, "user": None,
                            "since": None}
    arguments = {**base, **chosen}
    with RunStore() as store:
        store.reconcile()  # keeps its statement, as every `runs list` does first
        # Kept with other values of the same filters: nothing of them may stay in the text.
        store.list(**{**base, **{name: _other(name, value) for name, value in chosen.items()},
                      "status": "unknown" if "status" in chosen else None,
                      "limit": 1})
        expected = store.list(**arguments)
    found = _kept_list(list_filters(**arguments, under=None))
    assert found is not None
    assert found == expected


def test_a_second_runs_list_imports_no_sqlalchemy(history: list[RunRecord], store_backend: str,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    command = [sys.executable, "-X", "importtime", "-m", "brain", "runs", "list", "--json",
               "--user", "ada", "--limit", "5"]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    second = subprocess.run(command, capture_output=True, text=True, check=True)
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert [run["user"] for run in json.loads(second.stdout)] == ["ada"] * 5
    assert "sqlalchemy" in first.stderr  # the first keeps what the second reads
    assert "sqlalchemy" not in second.stderr and "alembic" not in second.stderr
    assert ("psycopg" in second.stderr) == (store_backend == "postgresql")


def test_a_run_to_reconcile_goes_through_the_store(history: list[RunRecord],
                                                   default_store: RunStore,
                                                   make_record: Callable[..., RunRecord]) -> None:
    recent_runs()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = make_record(status="running", pid=dead.pid)
    default_store.insert(orphan)
    assert _kept_list(list_filters(project=None, namespace=None, entry=None, status=None,
                                   limit=20, sweep=None, under=None, user=None,
                                   since=None)) is None
    assert recent_runs()[0].status == "unknown"  # reconciled by the SQLAlchemy path
    assert recent_runs()[0].id == orphan.id


def test_a_spooled_run_is_synced_before_any_list(history: list[RunRecord],
                                                 make_record: Callable[..., RunRecord]) -> None:
    from brain.runs.store_schema import row_of

    recent_runs()
    waiting = make_record(status="succeeded", started_at=1_900_000_000.0)
    spool.keep(row_of(waiting), "start")
    assert spool.has_pending()
    assert recent_runs()[0].id == waiting.id
    assert not spool.has_pending()


def test_a_store_not_at_head_is_never_read_by_kept_statements(
        history: list[RunRecord], default_store: RunStore) -> None:
    recent_runs()
    default_store.database.write(
        lambda db: db.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(EnvironmentFailure, match="newer than this brain"):
        recent_runs()


@pytest.mark.parametrize("damage", ["garbage", "other stamp", "broken sql"])
def test_a_damaged_kept_file_only_costs_speed(history: list[RunRecord], store_backend: str,
                                              damage: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    expected = recent_runs(limit=7)
    path = kept._path(store_backend)
    if damage == "garbage":
        path.write_text("{not json")
    else:
        record = json.loads(path.read_text())
        if damage == "other stamp":
            record["stamp"] = "0" * 32
        else:
            for statement in record["data"].values():
                statement["sql"] = "SELECT nonsense FROM nowhere"
        path.write_text(json.dumps(record))
    assert recent_runs(limit=7) == expected
    # The SQLAlchemy path that answered kept its statements again: the next list is kept.
    assert _kept_list(list_filters(project=None, namespace=None, entry=None, status=None,
                                   limit=7, sweep=None, under=None, user=None,
                                   since=None)) == expected


@pytest.mark.sqlite_only
def test_a_store_that_is_a_link_is_refused_not_read(history: list[RunRecord],
                                                    default_store: RunStore,
                                                    tmp_path: Path) -> None:
    recent_runs()
    path = default_store.path
    assert path is not None
    default_store.close()
    elsewhere = tmp_path / "elsewhere.db"
    with sqlite3.connect(path) as source, sqlite3.connect(elsewhere) as copy:
        source.backup(copy)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.symlink(elsewhere, path)
    with pytest.raises(UnsafeState):
        recent_runs()
    assert kept.open_kept(default_store.location) is None


def test_values_never_reach_the_kept_file(history: list[RunRecord],
                                          store_backend: str) -> None:
    hostile = "o'brien; DROP TABLE runs; --"
    recent_runs(user=hostile, project="x\" OR 1=1 --", since=123456.5)
    text = kept._path(store_backend).read_text()
    assert "brien" not in text and "OR 1=1" not in text and "123456" not in text
    assert len(recent_runs(limit=100)) == 30


def test_statements_someone_else_could_write_are_never_run(
        history: list[RunRecord], store_backend: str) -> None:
    expected = recent_runs(limit=7)
    path = kept._path(store_backend)
    record = json.loads(path.read_text())
    for statement in record["data"].values():
        if statement["sql"].startswith("SELECT runs.id, runs.namespace"):
            statement["sql"] = "DELETE FROM runs WHERE 1 = 1 RETURNING *"
    path.write_text(json.dumps(record))
    assert recent_runs(limit=7) == expected  # not a kind of statement brain keeps
    os.chmod(path, 0o666)  # writable by anyone: whatever it holds is not brain's
    assert kept._load(store_backend) is None
    os.chmod(path, 0o600)
    path.write_text(path.read_text())
    assert len(recent_runs(limit=100)) == 30


def test_a_terminal_table_imports_no_sqlalchemy(history: list[RunRecord],
                                                store_backend: str) -> None:
    import pty

    recent_runs(limit=5)
    env = {name: value for name, value in os.environ.items() if name != "NO_COLOR"}
    env["TERM"] = "xterm"
    command = [sys.executable, "-X", "importtime", "-m", "brain", "runs", "list", "--limit", "5"]
    for _ in range(2):  # the first keeps the neighbours' statement
        leader, follower = pty.openpty()
        try:
            shown = subprocess.run(command, stdout=follower, stderr=subprocess.PIPE, text=True,
                                   env={**env, "COLUMNS": "200"})
            table = os.read(leader, 65536).decode()
        finally:
            os.close(leader)
            os.close(follower)
        assert shown.returncode == 0, shown.stderr
    assert history[-1].id[:8] in table
    assert "sqlalchemy" not in shown.stderr


def test_a_spool_no_sync_can_read_is_still_reported(history: list[RunRecord]) -> None:
    recent_runs()
    folder = Path(os.environ["BRAIN_HOME"]) / "spool"
    folder.mkdir(exist_ok=True)
    (folder / "0000000000000000.start.json").write_text("{not json")
    listed = subprocess.run([sys.executable, "-m", "brain", "runs", "list", "--limit", "3"],
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "not run records brain can read" in listed.stderr
