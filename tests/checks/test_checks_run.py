"""Data checks for real: pandera in the project's uv environment on real CSV and Parquet
files, input checks stopping a run before any work with a table of what failed, output
checks failing a run after it, results in the record, `runs show`, `brain check` and CI."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brain.checks.running import MAX_FAILURES
from tests.checks.conftest import (
    BIG_DUPLICATE,
    BIG_NEGATIVE_FROM,
    BIG_ROWS,
)
from tests.conftest import Result

pytestmark = pytest.mark.slow

Brain = Callable[..., Result]


def _ran(project: Path) -> list[str]:
    return sorted(path.name for path in project.glob("ran-*"))


def _last_record(brain: Brain) -> dict[str, Any]:
    listed = brain("runs", "list", "--json", "-n", "1")
    (record,) = json.loads(listed.stdout)
    shown = brain("runs", "show", record["id"], "--json")
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def test_the_environment_gets_pandera_pyarrow_and_pytest(checked_project: Path) -> None:
    python = checked_project / ".brain" / "venv" / "bin" / "python"
    found = subprocess.run([str(python), "-c", "import pandera, pyarrow, pytest, pandas; "
                            "print(pandera.__version__, pytest.__version__)"],
                           capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["0.26.1", "8.3.5"]


def test_a_broken_dataset_is_stopped_before_the_entry_point_runs(
        checked_project: Path, brain: Brain) -> None:
    before = _ran(checked_project)
    done = brain("run", str(checked_project), "-e", "broken")
    assert done.exit_code == 5, done.output
    assert _ran(checked_project) == before  # the entry point never started
    # The readable table: column, check, failing values, row indexes.
    lines = done.stderr.splitlines()
    assert "column\tcheck\tfailing values\trows\tcount" in lines
    assert "price\tgreater_than_or_equal_to(0.0)\t-3.0\t1\t1" in lines
    assert "city\tisin(['Paris', 'Lyon'])\tNice\t2\t1" in lines
    assert "code\tstr_matches('^[A-Z]{3}$')\tabc\t1\t1" in lines
    assert "id\tfield_uniqueness\t2\t1, 2\t2" in lines
    assert "data check failed: data/broken.csv (inline schema): 5 failures" in done.stderr
    record = _last_record(brain)
    assert (record["status"], record["exit_code"]) == ("failed", 5)
    (check,) = record["extra"]["checks"]
    assert (check["status"], check["when"], check["failure_count"], check["rows"]) == \
        ("failed", "before", 5, 3)
    assert {(f["column"], f["index"]) for f in check["failures"]} == {
        ("price", 1), ("city", 2), ("code", 1), ("id", 1), ("id", 2)}


def test_a_clean_run_passes_its_checks_and_records_them(checked_project: Path,
                                                        brain: Brain) -> None:
    done = brain("run", str(checked_project), "-e", "clean")
    assert done.exit_code == 0, done.output
    record = _last_record(brain)
    checks = record["extra"]["checks"]
    assert [(c["label"], c["when"], c["status"]) for c in checks] == [
        ("data/good.csv (inline schema)", "before", "passed"),
        ("out/pred.parquet (inline schema)", "after", "passed"),
        ("checks/test_outputs.py", "after", "passed")]
    assert checks[1]["rows"] == 3 and checks[2]["message"] == "2 test(s) passed"
    shown = brain("runs", "show", record["id"], "--tail", "0")
    assert "check passed: data/good.csv (inline schema) (before the run, 3 rows)" in \
        shown.stdout
    assert "check passed: checks/test_outputs.py (after the run)" in shown.stdout


def test_an_output_check_fails_the_run_after_it(checked_project: Path, brain: Brain) -> None:
    before = _ran(checked_project)
    done = brain("run", str(checked_project), "-e", "clean", "-P", "bad=true")
    assert done.exit_code == 5, done.output
    assert len(_ran(checked_project)) == len(before) + 1  # it ran; its outputs were refused
    assert "score\tless_than_or_equal_to(1.0)\t1.5\t2\t1" in done.stderr.splitlines()
    assert "test_scores_are_probabilities" in done.stderr
    assert "a score of 1.5 is not a probability" in done.stderr
    record = _last_record(brain)
    assert record["status"] == "failed" and record["exit_code"] == 5
    assert record["extra"]["outputs"]["out/pred.parquet"]  # hashed: the record says which
    statuses = [c["status"] for c in record["extra"]["checks"]]
    assert statuses == ["passed", "failed", "failed"]
    shown = brain("runs", "show", record["id"], "--tail", "0")
    assert "check failed: out/pred.parquet (inline schema) (after the run, 3 rows): 1 " \
           "failing value(s)" in shown.stdout


def test_schema_files_yaml_and_python_on_csv_and_parquet(checked_project: Path,
                                                         brain: Brain) -> None:
    good = brain("run", str(checked_project), "-e", "yaml-schema")
    assert good.exit_code == 0, good.output
    assert "check passed: data/good.csv (schemas/train.yml)" in good.stderr
    bad = brain("run", str(checked_project), "-e", "py-schema")
    assert bad.exit_code == 5, bad.output
    lines = bad.stderr.splitlines()
    assert "city\tisin(['Paris', 'Lyon'])\tNice\t2\t1" in lines
    assert "id\tfield_uniqueness\t2\t1, 2\t2" in lines


def test_a_large_csv_is_checked_in_chunks_and_its_failures_truncated(
        checked_project: Path, brain: Brain) -> None:
    done = brain("run", str(checked_project), "-e", "big")
    assert done.exit_code == 5, done.output
    (check,) = _last_record(brain)["extra"]["checks"]
    negative = BIG_ROWS - BIG_NEGATIVE_FROM
    assert check["rows"] == BIG_ROWS
    # Both rows of the id repeated across two chunks (rows BIG_DUPLICATE) count.
    assert check["failure_count"] == negative + len(BIG_DUPLICATE)
    assert len(check["failures"]) == MAX_FAILURES  # kept; the count stays exact
    # Row numbers run on across chunks; the duplicate spans two chunks and is found.
    values = [f for f in check["failures"] if f["column"] == "value"]
    assert values[0]["index"] == BIG_NEGATIVE_FROM
    assert f"{negative + 2 - MAX_FAILURES} more failing value(s) not kept" in done.stderr


def test_a_schema_linked_from_outside_the_project_is_refused(checked_project: Path,
                                                             brain: Brain) -> None:
    before = _ran(checked_project)
    done = brain("run", str(checked_project), "-e", "linked")
    assert done.exit_code == 2, done.output
    assert "symlink to a file outside" in done.stderr
    assert _ran(checked_project) == before
    assert json.loads(brain("runs", "list", "--json").stdout) == []  # refused before a record


def test_a_check_module_runs_under_the_runs_limits(checked_project: Path,
                                                   tmp_path: Path) -> None:
    """A check that writes outside the project is contained as the entry point would be:
    the limits a launch puts on `brain run` (here a 1 MB file size) hold for it too."""
    outside = tmp_path / "outside.bin"
    limit = 1 << 20

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "brain", "run", str(checked_project),
                           "-e", "writer", "--json"], capture_output=True, text=True,
                          timeout=300, preexec_fn=limited,
                          env={**_environment(), "CHECKS_OUTSIDE_TARGET": str(outside)})
    assert done.returncode == 5, done.stderr
    assert outside.stat().st_size <= limit  # cut at the limit, never the 4 MB it wanted
    (check,) = json.loads(done.stdout)["extra"]["checks"]
    assert check["status"] in ("failed", "error")


def _environment() -> dict[str, str]:
    import os

    return {**os.environ, "NO_COLOR": "1"}


def test_brain_check_runs_the_checks_without_a_run(checked_project: Path, brain: Brain) -> None:
    done = brain("check", str(checked_project), "-e", "broken", "--json")
    assert done.exit_code == 5, done.output
    data = json.loads(done.stdout)
    assert data["passed"] is False
    assert data["entry_points"]["broken"][0]["failure_count"] == 5
    clean = brain("check", str(checked_project), "-e", "clean", "--when", "before")
    assert clean.exit_code == 0, clean.output
    assert json.loads(brain("runs", "list", "--json").stdout) == []  # nothing recorded


def test_ci_run_fails_the_commit_on_a_failed_input_check(checked_project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "brain", "ci", "run", "--json"],
                          cwd=checked_project, capture_output=True, text=True, timeout=900,
                          env=_environment())
    assert done.returncode == 1, done.stdout + done.stderr
    results = {r["step"]: r for r in json.loads(done.stdout)["results"]}
    assert results["checks:clean"]["status"] == "passed"
    assert results["checks:broken"]["status"] == "failed"
    assert results["checks:broken"]["note"] == "exit 5: a data check failed"
    # A project's steps after its first failure are skipped, naming it.
    assert results["checks:yaml-schema"]["status"] == "skipped"
    assert results["checks:yaml-schema"]["note"] == "checks:broken failed"
