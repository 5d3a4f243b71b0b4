"""`brain store migrate --to URL` (a SQLite history into a real PostgreSQL, verified per
table, idempotent, finishing an interrupted copy) and `brain store check`."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from brain.runs.store import RunStore
from brain.store.engine import HEAD
from tests.postgres import PASSWORD
from tests.store.conftest import OLD_COUNTS, OLD_SECRETS, counts


def _copy(brain, url: str):  # type: ignore[no-untyped-def]
    result = brain("store", "migrate", "--to", url, "--json")
    assert PASSWORD not in result.output
    return result


def test_migrate_copies_runs_launches_and_accounts_and_verifies(old_home: Path, brain,
                                                                 postgres_url, monkeypatch):
    result = _copy(brain, postgres_url)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and "***" in report["to"]
    assert {t["table"]: (t["source"], t["added"], t["verified"]) for t in report["tables"]} \
        == {table: (rows, rows, rows) for table, rows in OLD_COUNTS.items()}
    assert counts(postgres_url) == OLD_COUNTS
    # the copy reads back as the same records
    with RunStore(old_home / "brain.db") as local, RunStore(postgres_url) as shared:
        assert local.list(limit=10) == shared.list(limit=10)
    # and the old tokens, session and audit log work from the shared store
    from brain.share.accounts import HubAccounts

    monkeypatch.setenv("BRAIN_STORE", postgres_url)
    accounts = HubAccounts(old_home / "unused" / "accounts.db")
    try:
        assert accounts.check(OLD_SECRETS["ana"]).name == "ana"  # type: ignore[union-attr]
        assert accounts.check(OLD_SECRETS["vic"]) is None  # expired then, still expired
        assert accounts.session(OLD_SECRETS["ana-session"]).name == "ana"  # type: ignore[union-attr]
        assert [entry.action for entry in accounts.audit()] == \
            ["token-create", "token-create", "launch"]
    finally:
        accounts.close()
    assert not (old_home / "unused").exists()


def test_migrate_again_adds_nothing_and_duplicates_nothing(old_home: Path, brain,
                                                           postgres_url):
    assert _copy(brain, postgres_url).exit_code == 0
    again = _copy(brain, postgres_url)
    assert again.exit_code == 0, again.output
    assert [t["added"] for t in json.loads(again.stdout)["tables"]] == [0] * len(OLD_COUNTS)
    assert counts(postgres_url) == OLD_COUNTS


def test_an_interrupted_migrate_is_finished_by_running_it_again(old_home: Path, brain,
                                                                postgres_url):
    # What a copy stopped after its first committed batch leaves: some rows there already.
    from brain.store.engine import Database
    from brain.store.location import parse_store, sqlite_at
    from brain.store.transfer import copy_stores

    source = Database(sqlite_at(old_home / "brain.db"), timeout=5)
    target = Database(parse_store(postgres_url), timeout=5)
    try:
        partial = copy_stores([source], target, batch=2)
        assert partial[0].added == 3
        with psycopg.connect(postgres_url) as db:  # lose the last batch, as a kill would
            db.execute("DELETE FROM runs WHERE id = '1a20000000000002'")
    finally:
        source.close()
        target.close()
    assert counts(postgres_url)["runs"] == 2
    result = _copy(brain, postgres_url)
    assert result.exit_code == 0, result.output
    tables = {t["table"]: t for t in json.loads(result.stdout)["tables"]}
    assert (tables["runs"]["added"], tables["runs"]["verified"]) == (1, 3)
    assert counts(postgres_url) == OLD_COUNTS


def test_a_target_that_loses_rows_fails_the_check_with_one_line(old_home: Path, brain,
                                                               postgres_url):
    with RunStore(postgres_url) as store:
        store.count()  # migrate the empty target first
    with psycopg.connect(postgres_url) as db:  # a target that silently drops runs
        db.execute("CREATE RULE swallow AS ON INSERT TO runs DO INSTEAD NOTHING")
    result = brain("store", "migrate", "--to", postgres_url)
    assert result.exit_code == 3, result.output
    assert "runs: 3 row(s) in the source but 0 of them in postgresql://brain:***@" \
        in result.stderr
    assert PASSWORD not in result.output


def test_migrate_refuses_bad_targets_and_missing_sources(isolated: Path, brain, old_home):
    for url, words in (("mysql://u:pw@example.com/db", "unsupported store URL scheme"),
                       ("postgresql://u:pw@/", "must name a host and one database")):
        result = brain("store", "migrate", "--to", url)
        assert result.exit_code == 2 and words in result.stderr, result.output
        assert ":pw@" not in result.output
    result = brain("store", "migrate", "--to", str(isolated / "brain.db"))
    assert result.exit_code == 2 and "names the store being copied" in result.stderr
    (isolated / "brain.db").unlink()
    (isolated / "hub" / "launches.db").unlink()
    (isolated / "hub" / "accounts.db").unlink()
    result = brain("store", "migrate", "--to", "postgresql://u@example.com/db")
    assert result.exit_code == 2 and "no SQLite run store" in result.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_check_reports_version_counts_and_orphans(old_home: Path, brain, backend,
                                                  postgres_url, monkeypatch):
    if backend == "postgresql":
        assert _copy(brain, postgres_url).exit_code == 0
        monkeypatch.setenv("BRAIN_STORE", postgres_url)
    result = brain("store", "check", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema_version"] == HEAD and report["ok"] is True
    assert report["kind"] == backend and report["problems"] == []
    assert report["counts"]["runs"] == 3
    assert PASSWORD not in result.output
    if backend == "postgresql":  # runs and launches together: a launch's run must be there
        with psycopg.connect(postgres_url) as db:
            db.execute("UPDATE launches SET run_id = 'ffffffffffffffff' WHERE id = 'l1'")
        bad = brain("store", "check")
        assert bad.exit_code == 3
        assert "1 launch(es) naming a run the store does not hold" in bad.stderr


def test_check_runs_sqlite_integrity_check(isolated: Path, brain):
    path = isolated / "brain.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    result = brain("store", "check")
    assert result.exit_code == 3 and str(path) in result.stderr
    assert "Traceback" not in result.output
