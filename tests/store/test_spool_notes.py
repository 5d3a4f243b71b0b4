"""A sync that cannot happen is never silent: the records stay in the local spool, every
reader says on stderr what waits and for which store, and `brain store check` reports the
count and the last failed sync. Hostile spools (a partial file, a link, a huge file) are
reported and left exactly as they are."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from brain.runs.record import RunRecord
from brain.runs.store import RunStore
from brain.runs.store_schema import row_of
from tests.conftest import Result


def _unchanged(path: Path) -> tuple[int, int, float]:
    info = os.lstat(path)
    return info.st_size, info.st_mode, info.st_mtime


def test_a_partial_spool_file_is_reported_and_left_alone(
        isolated: Path, brain: Callable[..., Result]) -> None:
    spool = isolated / "spool"
    spool.mkdir()
    partial = spool / "0123456789abcdef.start.json"
    partial.write_text('{"id": "0123456789ab')  # a brain killed mid-write of an old version
    before = _unchanged(partial)
    listed = brain("runs", "list")
    assert listed.exit_code == 0, listed.output
    assert "1 file(s) in the local spool are not run records brain can read" in listed.stderr
    assert str(partial) in listed.stderr
    assert _unchanged(partial) == before
    checked = brain("store", "check", "--json")
    assert checked.exit_code == 3
    report = json.loads(checked.stdout)
    assert report["spool_unreadable"] == [str(partial)] and report["spooled"] == 0
    assert any("not run records" in problem for problem in report["problems"])


def test_a_linked_spool_folder_is_never_followed(
        isolated: Path, tmp_path: Path, brain: Callable[..., Result],
        make_record: Callable[..., RunRecord]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    planted = elsewhere / "0123456789abcdef.start.json"
    planted.write_text(json.dumps(row_of(make_record(id="0123456789abcdef"))))
    before = _unchanged(planted)
    (isolated / "spool").symlink_to(elsewhere)
    listed = brain("runs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []  # the planted record was not copied in
    assert "the local run spool cannot be read" in listed.stderr
    assert "symlink" in listed.stderr or "link" in listed.stderr
    assert _unchanged(planted) == before and sorted(os.listdir(elsewhere)) == [planted.name]
    checked = brain("store", "check", "--json")
    assert checked.exit_code == 3
    assert any("spool cannot be read" in p for p in json.loads(checked.stdout)["problems"])


def test_a_huge_spool_file_is_not_read(isolated: Path, brain: Callable[..., Result]) -> None:
    spool = isolated / "spool"
    spool.mkdir()
    huge = spool / "0123456789abcdef.end.json"
    with huge.open("wb") as handle:  # sparse: 8 GiB that take no disk
        handle.truncate(8 << 30)
    listed = brain("runs", "list")
    assert listed.exit_code == 0, listed.output
    assert str(huge) in listed.stderr
    assert huge.stat().st_size == 8 << 30
    checked = brain("store", "check", "--json")
    assert json.loads(checked.stdout)["spool_unreadable"] == [str(huge)]


def test_a_store_refusing_the_write_leaves_the_run_waiting_and_says_so(
        isolated: Path, brain: Callable[..., Result], make_record: Callable[..., RunRecord],
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store = isolated / "brain.db"
    with RunStore(store) as opened:
        opened.count()
    # A store brain may read but not write: a file whose run table refuses inserts.
    import sqlite3

    with sqlite3.connect(store) as db:
        db.execute("CREATE TRIGGER no_writes BEFORE INSERT ON runs "
                   "BEGIN SELECT RAISE(ABORT, 'runs are read-only here'); END")
    from brain.store.spool import keep

    record = make_record(id="0123456789abcdef")
    keep(row_of(record), "start")
    listed = brain("runs", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []
    assert f"1 run waits in the local spool for the store at {store}" in listed.stderr
    assert "synced on the next command that reaches it" in listed.stderr
    checked = brain("store", "check", "--json")
    report = json.loads(checked.stdout)
    assert report["spooled"] == 1
    assert "read-only here" in report["last_sync_error"]["error"]
    assert report["last_sync_error"]["store"] == str(store)
    shown = brain("store", "check")
    assert "read-only here" in shown.stdout

    with sqlite3.connect(store) as db:
        db.execute("DROP TRIGGER no_writes")
    synced = brain("runs", "list", "--json")
    assert [run["id"] for run in json.loads(synced.stdout)] == [record.id]
    assert "spool" not in synced.stderr
    report = json.loads(brain("store", "check", "--json").stdout)
    assert report["spooled"] == 0 and report["last_sync_error"] is None


def test_the_detached_sync_keeps_its_failure(
        isolated: Path, make_record: Callable[..., RunRecord]) -> None:
    from brain.runs import store_sync
    from brain.store.spool import keep, last_error

    (isolated / "brain.db").mkdir()  # the store path is a folder: no sync can open it
    keep(row_of(make_record(id="0123456789abcdef")), "start")
    assert store_sync.main() == 1
    found = last_error()
    assert found is not None and "is a folder" in found["error"]
    assert (isolated / "spool" / "0123456789abcdef.start.json").is_file()
