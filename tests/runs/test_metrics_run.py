"""Metrics through `brain run`: recorded with a successful run, a bad metrics file is a
warning (never a failed run), and runs show / diff / list --json show the values."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.run.conftest import build_environment

SPEC = """
name: measured
version: 0.1.0
entry_points:
  fit:
    type: python
    script: fit.py
    metrics: out/metrics.json
    parameters:
      content: {type: str, default: '{"rmse": 0.5}'}
      code: {type: int, default: 0}
"""
FIT = """
import os, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
os.makedirs("out", exist_ok=True)
with open("out/metrics.json", "w") as handle:
    content = args["--content"]
    handle.write("1" * (2 << 20) if content == "HUGE" else content)
sys.exit(int(args["--code"]))
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project({"onebrain.yml": SPEC, "fit.py": FIT})
    build_environment(root)
    return root


def run(brain: Callable[..., Result], root: Path, *args: str) -> tuple[Result, dict]:
    result = brain("run", str(root), "-e", "fit", "--json", *args)
    return result, json.loads(result.stdout)


def test_metrics_are_recorded_and_compared(brain: Callable[..., Result], project: Path) -> None:
    first, a = run(brain, project)
    second, b = run(brain, project, "-P", 'content={"rmse": 0.25, "r2": 0.9}')
    assert first.exit_code == second.exit_code == 0
    assert a["metrics"] == {"rmse": 0.5}
    assert b["metrics"] == {"rmse": 0.25, "r2": 0.9}
    listed = json.loads(brain("runs", "list", "--json").stdout)
    assert [run["metrics"] for run in listed] == [b["metrics"], a["metrics"]]
    assert "r2=0.9 rmse=0.25" in brain("runs", "show", b["id"]).stdout
    diff = json.loads(brain("runs", "diff", a["id"], b["id"], "--json").stdout)
    assert diff["differences"]["metrics"] == [
        {"name": "r2", "old": "(absent)", "new": 0.9},
        {"name": "rmse", "old": 0.5, "new": 0.25}]


@pytest.mark.parametrize(("content", "warning"), [
    ('{"rmse": NaN}', "not valid JSON"),
    ('[1, 2]', "must be a JSON object"),
    ('{"rmse": "low", "n": 3}', "not finite numbers"),
    ("HUGE", "larger than"),
])
def test_a_bad_metrics_file_is_a_warning(brain: Callable[..., Result], project: Path,
                                         content: str, warning: str) -> None:
    result, record = run(brain, project, "-P", f"content={content}")
    assert result.exit_code == 0
    assert warning in result.stderr
    assert warning in record["extra"]["metrics_warnings"][0]
    assert record["status"] == "succeeded"


def test_a_symlink_out_of_the_project_is_not_followed(brain: Callable[..., Result],
                                                      project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"secret": 1}')
    (project / "fit.py").write_text("import os\nos.makedirs('out', exist_ok=True)\n"
                                    f"os.symlink({str(secret)!r}, 'out/metrics.json')\n")
    result, record = run(brain, project)
    assert result.exit_code == 0
    assert record["metrics"] == {}
    assert "outside the project" in result.stderr


def test_a_failed_run_records_no_metrics(brain: Callable[..., Result], project: Path) -> None:
    result, record = run(brain, project, "-P", "code=3")
    assert result.exit_code == 3
    assert record["metrics"] == {} and "metrics_warnings" not in record["extra"]
