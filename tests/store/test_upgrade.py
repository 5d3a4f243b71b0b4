"""Existing users' SQLite files, made by the brain before SQLAlchemy, upgrade in place."""

from __future__ import annotations

import json
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


def test_an_old_accounts_file_upgrades_in_place(old_home: Path, brain):
    from brain.share.accounts import HubAccounts, Role
    from tests.store.conftest import OLD_SECRETS

    path = old_home / "hub" / "accounts.db"
    accounts = HubAccounts(path)
    try:
        ana = accounts.check(OLD_SECRETS["ana"])
        assert ana is not None and (ana.name, ana.role, ana.created_at) == \
            ("ana", Role.LAUNCHER, 1000.0)
        assert accounts.check(OLD_SECRETS["vic"]) is None  # expired before the upgrade
        assert accounts.check("not-a-token") is None
        assert accounts.session(OLD_SECRETS["ana-session"]).name == "ana"  # type: ignore[union-attr]
        assert [(a.name, a.role.label, a.expires_at) for a in accounts.accounts()] == \
            [("ana", "launcher", None), ("vic", "viewer", 2000.0)]
        old_lines = [(e.at, e.who, e.action, e.target) for e in accounts.audit()]
        assert old_lines == [(1000.0, "root", "token-create", "ana (launcher)"),
                             (1000.0, "root", "token-create", "vic (viewer)"),
                             (1200.5, "ana", "launch", "l1 file:///r@abc")]
    finally:
        accounts.close()
    raw = sqlite3.connect(path)
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'table'")}
    assert {"hub_tokens", "hub_sessions", "hub_audit"} <= tables
    assert not tables & {"tokens", "sessions", "audit"}
    assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    raw.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # The CLI goes on from there: a new audit line sorts after the old ones, revoking ends
    # the old session with the token.
    assert brain("hub", "token", "revoke", "ana").exit_code == 0
    audit = brain("hub", "audit", "--json")
    assert [line["action"] for line in json.loads(audit.stdout)] == \
        ["token-create", "token-create", "launch", "token-revoke"]
    again = HubAccounts(path)
    try:
        assert again.session(OLD_SECRETS["ana-session"]) is None
        assert [a.name for a in again.accounts()] == ["vic"]
    finally:
        again.close()
