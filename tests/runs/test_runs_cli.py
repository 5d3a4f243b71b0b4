"""`brain runs list|show|diff` through the real CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from brain.runs.record import GitState
from brain.runs.run_ids import shortest_unique
from brain.runs.store import RunStore


@pytest.fixture
def three_runs(default_store, make_record, tmp_path):
    out = tmp_path / "stdout.log"
    out.write_text("".join(f"line {n}\n" for n in range(1, 51)))
    err = tmp_path / "stderr.log"
    err.write_text("warning: small sample\n")
    runs = [
        make_record(id="1a2115a11d9d44d7", project="fit-model", entry_point="fit models",
                    parameters={"alpha": 0.5, "mode": "fast"}, status="succeeded", exit_code=0,
                    stdout_log=str(out), stderr_log=str(err)),
        make_record(id="1a2115a11d9e0b31", project="fit-model", entry_point="fit models",
                    parameters={"alpha": 0.7, "mode": "fast"}, status="failed", exit_code=1,
                    git=GitState("c" * 40, "main", None, True), stdout_log=str(tmp_path / "gone")),
        make_record(id="1a2115b00c2f7a90", project="my-cool-api", namespace="prototypes",
                    entry_point="main",
                    parameters={"port": 8880}, status="succeeded", exit_code=0),
    ]
    for record in runs:
        ended = record.ended_at
        default_store.insert(record)
        if ended is None and record.status != "running":
            default_store.finish(record.id, record.status, record.exit_code,
                                 record.started_at + 75)
    return runs


def _rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()[1:]]


def test_list_when_empty(brain):
    result = brain("runs", "list")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No runs recorded yet" in result.stderr


def test_list_plain_newest_first(brain, three_runs):
    result = brain("runs", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["ID", "STARTED", "PROJECT", "ENTRY", "STATUS", "EXIT",
                                    "DURATION", "COMMIT", "PARAMETERS"]
    rows = _rows(result.stdout)
    assert [row[0] for row in rows] == [r.id for r in reversed(three_runs)]
    assert rows[0][2:5] == ["prototypes/my-cool-api", "main", "succeeded"]
    assert rows[1][4:9] == ["failed", "1", "1m15s", "cccccccc+dirty", "alpha=0.7 mode=fast"]


def test_runs_alone_lists_and_takes_the_list_options(brain, three_runs):
    assert brain("runs").stdout == brain("runs", "list").stdout
    assert [row[0] for row in _rows(brain("runs", "--limit", "1").stdout)] == [three_runs[2].id]


def test_list_options_before_another_sub_command_exit_2(brain, three_runs):
    result = brain("runs", "--limit", "3", "show", three_runs[0].id)
    assert result.exit_code == 2 and "list options go after" in result.stderr


def test_list_filters_and_limit(brain, three_runs):
    def ids(*options: str) -> list[str]:
        result = brain("runs", "list", *options)
        assert result.exit_code == 0, result.output
        return [row[0] for row in _rows(result.stdout)]

    fit_a, fit_b, api = (r.id for r in three_runs)
    assert ids("--project", "fit-model") == [fit_b, fit_a]
    assert ids("--project", "prototypes/my-cool-api") == [api]
    assert ids("--namespace", "prototypes") == [api]
    assert ids("-e", "fit_models") == [fit_b, fit_a]
    assert ids("--status", "failed") == [fit_b]
    assert ids("--limit", "2") == [api, fit_b]
    nothing = brain("runs", "list", "--project", "nobody")
    assert nothing.exit_code == 0 and "No runs match" in nothing.stderr


def test_list_json(brain, three_runs):
    result = brain("runs", "list", "--json")
    data = json.loads(result.stdout)
    assert [run["id"] for run in data] == [r.id for r in reversed(three_runs)]
    assert data[1]["parameters"] == {"alpha": 0.7, "mode": "fast"}
    assert data[1]["git"]["dirty"] is True and data[1]["duration"] == 75


@pytest.mark.parametrize("options", [("--status", "exploded"), ("--limit", "0"),
                                     ("--limit", str(2**70)), ("--limit", "-3"),
                                     ("--limit", "lots"), ("--bogus",)])
def test_list_bad_options_exit_2(brain, options):
    result = brain("runs", "list", *options)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("error: ")


def test_show_record_and_log_tails(brain, three_runs):
    run = three_runs[0]
    result = brain("runs", "show", "1a2115a11d9d", "--tail", "3")  # a unique prefix
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"run:         {run.id} (succeeded, exit 0)" in out
    assert "parameters:  alpha=0.5 mode=fast" in out
    assert f"code:        {'a' * 40} on main, clean" in out
    assert "  line 48\n  line 49\n  line 50\n" in out and "line 47" not in out
    assert "stderr (last 1 line(s)" in out and "  warning: small sample" in out


def test_show_missing_log_and_no_tail(brain, three_runs):
    run = three_runs[1]
    result = brain("runs", "show", run.id)
    assert "with uncommitted changes" in result.stdout
    assert f"stdout: log {three_runs[1].stdout_log} is missing" in result.stdout
    quiet = brain("runs", "show", run.id, "--tail", "0")
    assert "stdout" not in quiet.stdout and quiet.exit_code == 0


def test_show_json(brain, three_runs):
    data = json.loads(brain("runs", "show", three_runs[0].id, "--json", "--tail", "2").stdout)
    assert data["id"] == three_runs[0].id and data["status"] == "succeeded"
    assert data["stdout_tail"] == ["line 49", "line 50"]
    assert data["stderr_tail"] == ["warning: small sample"]


def test_show_ambiguous_prefix_lists_candidates(brain, default_store, make_record):
    for suffix in ("a1", "a2"):
        default_store.insert(make_record(id=f"00000000000000{suffix}"))
    result = brain("runs", "show", "00000000000000a")
    assert result.exit_code == 2
    assert "ambiguous" in result.stderr and "00000000000000a1" in result.stderr \
        and "00000000000000a2" in result.stderr


@pytest.mark.parametrize("hostile", ["'; DROP TABLE runs; --", "..", "", "../../etc/passwd",
                                     "zzz", "-", "0x12"])
def test_hostile_ids_exit_2_with_a_clear_line(brain, three_runs, hostile):
    for command in (("show", hostile), ("diff", hostile, three_runs[0].id),
                    ("diff", three_runs[0].id, hostile)):
        result = brain("runs", *command)
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        if hostile != "-":  # `-` reads as an unknown option to click: still exit 2
            assert "error:" in result.stderr and ("run id" in result.stderr)
    with RunStore() as store:
        assert store.count() == 3


@pytest.mark.parametrize("option", ["--project", "--namespace", "--entry"])
def test_hostile_filters_match_nothing_and_harm_nothing(brain, three_runs, option):
    for value in ("'; DROP TABLE runs; --", "%", "_", "*", "", "../..", "a/b/c"):
        result = brain("runs", "list", option, value)
        assert result.exit_code == 0 and result.stdout == "", (value, result.output)
        assert "No runs match" in result.stderr
    with RunStore() as store:
        assert store.count() == 3


def test_unknown_id_exit_2(brain, three_runs):
    result = brain("runs", "show", "ffffffff")
    assert result.exit_code == 2 and "no run with id 'ffffffff'" in result.stderr
    assert "brain runs list" in result.stderr


def test_diff_text(brain, three_runs):
    a, b = three_runs[0], three_runs[1]
    result = brain("runs", "diff", a.id, b.id)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"runs {a.id} -> {b.id} differ in: code, parameters, exit"
    assert "  alpha: 0.5 -> 0.7" in lines
    assert f'  commit: "{"a" * 40}" -> "{"c" * 40}"' in lines
    assert "  dirty: false -> true" in lines
    assert '  status: "succeeded" -> "failed"' in lines
    assert lines[-1].startswith("same: environment, command")


def test_diff_same_run_and_json(brain, three_runs):
    a, b = three_runs[0], three_runs[2]
    same = brain("runs", "diff", a.id, a.id)
    assert same.exit_code == 0 and "match in every recorded aspect" in same.stdout
    data = json.loads(brain("runs", "diff", a.id, b.id, "--json").stdout)
    assert data["identical"] is False
    assert {"name": "port", "old": "(absent)", "new": 8880} in data["differences"]["parameters"]


def test_list_reconciles_orphans(brain, default_store, make_record):
    orphan = make_record(pid=999_999_999)
    default_store.insert(orphan)
    result = brain("runs", "list")
    assert _rows(result.stdout)[0][4] == "unknown"


@pytest.mark.sqlite_only
def test_corrupt_store_exit_3_naming_it(brain, isolated):
    path = isolated / "brain.db"
    path.write_bytes(b"not a database, just text" * 200)
    for command in (("runs",), ("runs", "show", "abc"), ("runs", "diff", "a", "b")):
        result = brain(*command)
        assert result.exit_code == 3, result.output
        assert str(path) in result.stderr and "not a readable SQLite database" in result.stderr
        assert "Traceback" not in result.output


def test_bad_timeout_setting_exit_2(brain, monkeypatch):
    monkeypatch.setenv("BRAIN_STORE_TIMEOUT", "forever")
    result = brain("runs")
    assert result.exit_code == 2 and "BRAIN_STORE_TIMEOUT" in result.stderr


@pytest.mark.sqlite_only
def test_busy_store_exit_4(isolated, tmp_path):
    """A store that must be migrated while another process holds its write lock."""
    path = isolated / "brain.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL)")
    raw.commit()
    raw.close()
    locker = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)",
         str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        result = subprocess.run([sys.executable, "-m", "brain", "runs"], capture_output=True,
                                text=True, timeout=60,
                                env={**_environment(isolated), "BRAIN_STORE_TIMEOUT": "0.3"})
    finally:
        locker.kill()
        locker.wait(timeout=30)
    assert result.returncode == 4, result.stderr
    assert "is busy" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def _environment(home):  # type: ignore[no-untyped-def]
    import os

    return {**os.environ, "BRAIN_HOME": str(home)}


def _on_a_terminal(home, columns: int, *args: str) -> str:  # type: ignore[no-untyped-def]
    """Run `brain *args` with its stdout on a real pseudo-terminal of `columns` columns."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in _environment(home).items() if k not in ("NO_COLOR", "COLUMNS")}
    child = subprocess.Popen([sys.executable, "-m", "brain", *args], stdout=follower,
                             stderr=subprocess.PIPE, env={**env, "TERM": "xterm"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    child.wait(timeout=60)
    os.close(leader)
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_terminal_table_keeps_ids_whole_and_every_column(isolated, three_runs, columns):
    screen = _on_a_terminal(isolated, columns, "runs")
    heading = next(line for line in screen.splitlines() if line.strip()).split()
    assert heading == ["ID", "STARTED", "PROJECT", "ENTRY", "STATUS", "TIME", "COMMIT",
                       "PARAMETERS"]  # none dropped, none cut
    assert "alpha=0.5" in screen and "port=8880" in screen and "cccccccc" in screen
    ids = [run.id for run in three_runs]
    for run in three_runs:
        shown = shortest_unique(run.id, ids)  # like git: the shortest unique prefix, 8 or more
        assert len(shown) >= 8 and f"{shown} " in screen  # never folded over two lines
    assert "failed" in screen
    assert max(len(line) for line in screen.splitlines()) <= columns


def test_list_stays_light_when_piped(isolated, three_runs):
    """The 300 ms budget: no pydantic, rich, git, jinja2, yaml or alembic on this path (the
    subprocess module comes with SQLAlchemy's asyncio support now; nothing is spawned)."""
    probe = ("import sys\nfrom brain.cli import main\ntry:\n    main(['runs', 'list'])\n"
             "except SystemExit:\n    pass\nheavy = ('pydantic', 'rich', 'git', 'jinja2', "
             "'alembic', 'yaml', 'docker')\n"
             "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=_environment(isolated), timeout=60)
    assert three_runs[0].id in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"
