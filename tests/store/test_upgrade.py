"""Existing users' SQLite files, made by the brain before SQLAlchemy, upgrade in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from brain.runs.store import RunStore
from brain.share.history import LaunchHistory
from brain.store.engine import HEAD


def test_an_old_run_store_upgrades_in_place_keeping_every_run(old_home: Path, brain,
                                                               make_record):
    path = old_home / "brain.db"
    with RunStore(path) as store:
        assert store.schema_version() == int(HEAD)
        runs = store.list(limit=10)
        assert [r.id for r in runs] == ["1a20000000000002", "1a20000000000001",
                                        "1a20000000000000"]
        first = store.get("1a20000000000000")
        assert (first.status, first.exit_code, first.user, first.host) == \
            ("succeeded", 0, "ann", "legacy-host")
        assert first.extra == {"outputs": {"m.pkl": "sha256:1"}, "metrics": {"rmse": 0.5}}
        assert first.parameters == {"alpha": 0.0, "ds": "2024-01-01"}
        assert [r.id for r in store.list(entry="fit-models", user="ann")] == \
            ["1a20000000000002", "1a20000000000000"]
        store.insert(make_record())
        assert store.count() == 4 and store.integrity_check() == []
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    indexes = {row[0] for row in raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs'")}
    assert {"runs_user", "runs_host", "runs_started", "runs_project"} <= indexes
    # and the CLI shows the old runs, filtered on the server
    listed = brain("runs", "list", "--user", "bob", "--json")
    assert listed.exit_code == 0, listed.output
    assert '"1a20000000000001"' in listed.stdout and "1a20000000000000" not in listed.stdout


def test_an_old_launch_history_upgrades_in_place(old_home: Path):
    history = LaunchHistory(old_home / "hub" / "launches.db")
    try:
        assert [launch.id for launch in history.recent()] == ["l2", "l1"]
        assert history.get("l1").run_id == "1a20000000000000"  # type: ignore[union-attr]
        assert history.get("l2").message == "broken spec"  # type: ignore[union-attr]
    finally:
        history.close()


def test_upgrading_twice_changes_nothing(old_home: Path):
    path = old_home / "brain.db"
    for _ in range(2):
        with RunStore(path) as store:
            assert store.count() == 3
