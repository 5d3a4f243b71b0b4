"""A PostgreSQL store that goes down: commands retry within the bound and fail with exit 4
and one line; `brain run` still runs and records: its record waits in the local spool and
appears once when the store is back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import Result
from tests.postgres import PASSWORD, PostgresServer, running_server

SPEC = """
name: outage
version: 0.1.0
entry_points:
  main:
    type: bash
    command: echo ran-while-the-store-was-down
"""


@pytest.fixture(scope="module")
def own_server() -> Iterator[PostgresServer]:
    """A server of this module's own: these tests stop and start it."""
    with running_server() as server:
        yield server


@pytest.fixture
def down_store(own_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = own_server.database()
    monkeypatch.setenv("BRAIN_STORE", url)
    monkeypatch.setenv("BRAIN_STORE_RETRIES", "3")
    monkeypatch.setenv("BRAIN_STORE_RETRY_SECONDS", "2")
    try:
        yield url
    finally:
        if not _up(own_server):
            own_server.start()


def _up(server: PostgresServer) -> bool:
    try:
        psycopg.connect(server.url(), connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


def _runs(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as db:
        return [(row[0], row[1]) for row in db.execute("SELECT id, status FROM runs")]


def test_a_run_survives_a_down_store_and_appears_once(
        own_server: PostgresServer, down_store: str, brain: Callable[..., Result],
        make_project: Callable[..., Path], isolated: Path) -> None:
    project = make_project({"onebrain.yml": SPEC})
    first = brain("run", "-e", "main", cwd=project)
    assert first.exit_code == 0, first.output
    assert brain("runs", "list").exit_code == 0  # syncs, if the detached sync has not yet
    assert len(_runs(down_store)) == 1

    own_server.stop()
    ran = brain("run", "-e", "main", cwd=project)
    assert ran.exit_code == 0, ran.output
    assert "ran-while-the-store-was-down" in ran.stdout
    spooled = sorted(path.name for path in (isolated / "spool").iterdir()
                     if not path.name.startswith("."))
    assert len(spooled) == 2 and spooled[0].endswith(".end.json") \
        and spooled[1].endswith(".start.json")
    listed = brain("runs", "list")
    assert listed.exit_code == 4, listed.output
    lines = listed.stderr.strip().splitlines()
    assert "is unreachable after 3 attempt(s)" in lines[0] and "***" in lines[0]
    assert lines[-1].startswith("brain: 1 run waits in the local spool for the store at "
                                "postgresql://brain:***@127.0.0.1:")
    assert lines[-1].endswith("; they are synced on the next command that reaches it")
    assert PASSWORD not in listed.output and "Traceback" not in listed.output

    own_server.start()
    shown = brain("runs", "list", "--json")
    assert shown.exit_code == 0, shown.output
    records = json.loads(shown.stdout)
    assert len(records) == 2 and {r["status"] for r in records} == {"succeeded"}
    assert not [path for path in (isolated / "spool").iterdir()
                if not path.name.startswith(".")]
    assert len(_runs(down_store)) == 2

    # A spool file synced twice (a brain killed before it removed the file) is one run.
    from brain.store.spool import keep

    row = _row(down_store, records[0]["id"])
    keep(row, "start")
    keep(row, "end")
    assert brain("runs", "list").exit_code == 0
    assert sorted(_runs(down_store)) == sorted((r["id"], "succeeded") for r in records)


def _row(url: str, run_id: str) -> dict[str, object]:
    with psycopg.connect(url) as db:
        cursor = db.execute("SELECT * FROM runs WHERE id = %s", (run_id,))
        names = [column.name for column in cursor.description or ()]
        found = cursor.fetchone()
        assert found is not None
        return dict(zip(names, found, strict=True))


def test_commands_fail_with_exit_4_within_the_bound(
        own_server: PostgresServer, down_store: str, brain: Callable[..., Result]) -> None:
    assert brain("store", "check").exit_code == 0
    own_server.stop()
    for command in (("runs", "list"), ("runs", "show", "abc"), ("store", "check")):
        result = brain(*command)
        assert result.exit_code == 4, (command, result.output)
        assert "unreachable" in result.stderr and PASSWORD not in result.output
    own_server.start()
    assert brain("store", "check").exit_code == 0
