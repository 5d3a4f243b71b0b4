"""`brain run` end to end with a real environment: exit codes, records, logs, --dry-run,
--no-setup, --json."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path

from brain.runs.store import RunStore
from tests.conftest import Result

SPEC = """
name: runner
version: 0.1.0
entry_points:
  query_historical_data:
    type: shell
    command: python src/input_data.py
    parameters:
      ds: {type: date, help: Starting date (Format 2022-01-01)}
  exit seven:
    type: bash
    command: echo to-out; echo to-err >&2; exit 7
  missing binary:
    type: shell
    command: no-such-program-anywhere --flag
  env:
    type: python
    module: show_env
env:
  variables: {TZ: UTC, GREETING: hello world}
"""

INPUT_DATA = """
import sys
print("argv", sys.argv[1:])
"""

SHOW_ENV = """
import json, os, sys
print(json.dumps({k: os.environ.get(k) for k in
      ("TZ", "GREETING", "BRAIN_RUN_ID", "BRAIN_PROJECT_DIR", "VIRTUAL_ENV")}))
print(json.dumps({"cwd": os.getcwd(), "prefix": sys.prefix}))
"""


def files() -> dict[str, str]:
    return {"onebrain.yml": SPEC, "src/input_data.py": INPUT_DATA, "show_env.py": SHOW_ENV}


def test_seed_example_runs_with_the_date_appended(brain: Callable[..., Result],
                                                   ready_project: Callable[..., Path]) -> None:
    root = ready_project(files())
    result = brain("run", str(root), "-e", "query_historical_data", "-P", "ds=2022-01-01")
    assert result.exit_code == 0, result.output
    assert result.stdout == "argv ['--ds', '2022-01-01']\n"
    assert "python src/input_data.py --ds 2022-01-01" in result.stderr
    record = RunStore().list()[0]
    assert record.command == "python src/input_data.py --ds 2022-01-01"
    assert record.parameters == {"ds": "2022-01-01"}
    assert (record.status, record.exit_code) == ("succeeded", 0)
    assert Path(str(record.stdout_log)).read_text() == "argv ['--ds', '2022-01-01']\n"
    assert Path(str(record.stdout_log)).parent == root / ".brain" / "runs" / record.id
    assert record.python_version and record.python_version.startswith("3.")
    assert record.env_identity and record.spec_hash and record.pid == os.getpid()


def test_exit_code_passes_through_and_the_record_says_failed(
        brain: Callable[..., Result], ready_project: Callable[..., Path]) -> None:
    root = ready_project(files())
    result = brain("run", str(root), "-e", "exit-seven")
    assert result.exit_code == 7
    assert result.stdout == "to-out\n"
    assert "to-err" in result.stderr
    record = RunStore().list()[0]
    assert (record.status, record.exit_code) == ("failed", 7)
    assert record.ended_at is not None and record.ended_at >= record.started_at
    assert Path(str(record.stderr_log)).read_text() == "to-err\n"


def test_json_prints_the_record_and_keeps_stdout_clean(
        brain: Callable[..., Result], ready_project: Callable[..., Path]) -> None:
    root = ready_project(files())
    result = brain("run", str(root), "-e", "exit_seven", "--json")
    assert result.exit_code == 7
    record = json.loads(result.stdout)
    assert record["status"] == "failed" and record["exit_code"] == 7
    assert record["entry_point"] == "exit seven"
    assert "to-out" in result.stderr  # the entry point's own stdout moved aside


def test_variables_cwd_and_environment(brain: Callable[..., Result],
                                       ready_project: Callable[..., Path]) -> None:
    root = ready_project(files())
    result = brain("run", str(root), "-e", "env", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    seen = json.loads(result.stderr.splitlines()[1])
    where = json.loads(result.stderr.splitlines()[2])
    assert seen == {"TZ": "UTC", "GREETING": "hello world", "BRAIN_RUN_ID": record["id"],
                    "BRAIN_PROJECT_DIR": str(root),
                    "VIRTUAL_ENV": str(root / ".brain" / "venv")}
    assert where["cwd"] == str(root)
    assert Path(where["prefix"]).resolve().is_relative_to((root / ".brain").resolve())


def test_command_not_found_is_exit_3_and_recorded(brain: Callable[..., Result],
                                                  ready_project: Callable[..., Path]) -> None:
    root = ready_project(files())
    result = brain("run", str(root), "-e", "missing binary")
    assert result.exit_code == 3
    assert "cannot run 'no-such-program-anywhere': command not found" in result.stderr
    record = RunStore().list()[0]
    assert (record.status, record.exit_code) == ("failed", 127)


def test_no_setup_without_an_environment_is_exit_3(brain: Callable[..., Result],
                                                   make_project: Callable[..., Path],
                                                   isolated: Path) -> None:
    root = make_project(files())
    result = brain("run", str(root), "-e", "exit-seven", "--no-setup")
    assert result.exit_code == 3
    assert "missing or out of date and --no-setup was given" in result.stderr
    assert "brain setup-deps" in result.stderr
    assert not (root / ".brain" / "venv").exists()
    assert not (isolated / "brain.db").exists()


def test_run_sets_up_the_environment_first(brain: Callable[..., Result],
                                           make_project: Callable[..., Path]) -> None:
    root = make_project(files())
    result = brain("run", str(root), "-e", "query_historical_data", "-P", "ds=2022-01-01")
    assert result.exit_code == 0, result.output
    assert (root / ".brain" / "venv" / "bin" / "python").exists()
    assert "setup:" in result.stderr


def test_run_finds_the_project_from_a_subfolder(brain: Callable[..., Result],
                                                ready_project: Callable[..., Path]) -> None:
    root = ready_project(files())
    result = brain("run", "-e", "query_historical_data", "-P", "ds=2022-01-01",
                   cwd=root / "src")
    assert result.exit_code == 0, result.output


def test_dry_run_prints_exactly_and_runs_nothing(brain: Callable[..., Result],
                                                 make_project: Callable[..., Path],
                                                 isolated: Path) -> None:
    root = make_project(files())
    result = brain("run", str(root), "-e", "query_historical_data", "-P", "ds=2022-01-01",
                   "--dry-run")
    assert result.exit_code == 0, result.output
    run_id = next(line.split("=", 1)[1] for line in result.stdout.splitlines()
                  if "BRAIN_RUN_ID=" in line)
    venv = root / ".brain" / "venv"
    path = f"{venv}/bin:{os.environ['PATH']}"
    expected = [
        "entry point: query_historical_data (shell)",
        f"cwd: {root}",
        "argv:",
        "  python",
        "  src/input_data.py",
        "  --ds",
        "  2022-01-01",
        "variables:",
        f"  BRAIN_PROJECT_DIR={shlex.quote(str(root))}",
        f"  BRAIN_RUN_ID={run_id}",
        "  GREETING='hello world'",
        f"  PATH={shlex.quote(path)}",
        "  PYTHONUNBUFFERED=1",
        "  TZ=UTC",
        f"  VIRTUAL_ENV={shlex.quote(str(venv))}",
    ]
    assert result.stdout.splitlines() == expected
    assert result.stderr == ""
    assert not (root / ".brain").exists()  # no environment built, no log folder
    assert not (isolated / "brain.db").exists()  # nothing recorded


def test_dry_run_json(brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project(files())
    result = brain("run", str(root), "-e", "exit seven", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["argv"] == ["bash", "-c", "echo to-out; echo to-err >&2; exit 7"]
    assert plan["entry_point"] == "exit seven" and plan["type"] == "bash"
    assert plan["cwd"] == str(root)
    assert plan["variables"]["TZ"] == "UTC"
    assert plan["variables"]["BRAIN_PROJECT_DIR"] == str(root)


def test_dry_run_shows_hostile_values_quoted_on_one_line(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project(files())
    result = brain("run", str(root), "-e", "query_historical_data", "-P", "ds=2022-01-01",
                   "--dry-run", "--json")
    assert json.loads(result.stdout)["argv"] == ["python", "src/input_data.py", "--ds",
                                                 "2022-01-01"]


def test_no_project_here(brain: Callable[..., Result], tmp_path: Path) -> None:
    result = brain("run", "-e", "main", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no onebrain.yml here or in any parent folder" in result.stderr


def test_invalid_spec_is_exit_2(brain: Callable[..., Result],
                                make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": "name: x\nversion: 0.1.0\nentry_point: {}\n"})
    result = brain("run", str(root), "-e", "main")
    assert result.exit_code == 2
    assert "onebrain.yml:3:1" in result.stderr


def test_a_background_grandchild_does_not_hold_brain(brain: Callable[..., Result],
                                                     ready_project: Callable[..., Path]) -> None:
    import time

    root = ready_project({"onebrain.yml": """
        name: bg
        version: 0.1.0
        entry_points:
          main: {type: bash, command: "sleep 20 & echo done"}
    """})
    started = time.monotonic()
    result = brain("run", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout == "done\n"
    assert time.monotonic() - started < 10


def test_missing_project_path_is_exit_2(brain: Callable[..., Result], tmp_path: Path) -> None:
    result = brain("run", str(tmp_path / "nowhere"), "-e", "main")
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_execute_records_an_origin(ready_project: Callable[..., Path]) -> None:
    from brain.runs.plan import plan_run
    from brain.runs.runner import execute
    from brain.runs.snapshot import load_snapshot

    root = ready_project(files())
    plan = plan_run(load_snapshot(root), "exit seven", {})
    result = execute(plan, setup=False, origin="https://hub.example/launch?x=1")
    assert result.exit_code == 7
    assert result.record.origin == "https://hub.example/launch?x=1"
    assert RunStore().get(result.record.id).origin == "https://hub.example/launch?x=1"
