"""`depends_on` pipelines: prerequisites first, each through the cache, a summary at the end,
a stop at the first failure; cycles are rejected when the spec is validated."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.run.conftest import build_environment

# query -> fit -> report; only query and fit declare outputs (report always runs).
SPEC = """
name: chain
version: 0.1.0
entry_points:
  query:
    type: python
    script: steps.py
    parameters:
      ds: {type: date, default: 2024-01-01}
    outputs: [data/raw.txt]
  fit:
    type: python
    script: steps.py
    depends_on: [query]
    parameters:
      alpha: {type: float, default: 0.5}
    inputs: [data/raw.txt]
    outputs: [models/model.txt]
  report:
    type: shell
    command: python steps.py --report yes
    depends_on: [fit]
"""

STEPS = """
import argparse, os, sys
from pathlib import Path
parser = argparse.ArgumentParser()
parser.add_argument("--ds")
parser.add_argument("--alpha")
parser.add_argument("--report")
args = parser.parse_args()
with open(os.environ["BRAIN_PROJECT_DIR"] + ".calls", "a") as log:
    log.write(("query" if args.ds else "fit" if args.alpha else "report") + "\\n")
if args.ds:
    Path("data").mkdir(exist_ok=True)
    Path("data/raw.txt").write_text(args.ds)
elif args.alpha:
    if os.environ.get("FAIL_FIT"):
        sys.exit(7)
    Path("models").mkdir(exist_ok=True)
    Path("models/model.txt").write_text(Path("data/raw.txt").read_text() + " " + args.alpha)
else:
    print("report of", Path("models/model.txt").read_text())
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project({"onebrain.yml": SPEC, "steps.py": STEPS})
    build_environment(root)
    return root


def calls(project: Path) -> list[str]:
    log = project.with_name(project.name + ".calls")
    return log.read_text().split() if log.exists() else []


def steps(result: Result) -> list[tuple[str, str]]:
    data = json.loads(result.stdout)
    return [(step["entry_point"], step["result"]) for step in data["steps"]]


def test_prerequisites_run_first_in_dependency_order(brain: Callable[..., Result],
                                                     project: Path) -> None:
    result = brain("run", str(project), "-e", "report")
    assert result.exit_code == 0, result.output
    assert calls(project) == ["query", "fit", "report"]
    assert "report of 2024-01-01 0.5" in result.stdout
    assert "pipeline summary:" in result.stderr


def test_three_steps_with_one_cached(brain: Callable[..., Result], project: Path) -> None:
    first = brain("run", str(project), "-e", "report", "--json")
    assert first.exit_code == 0, first.output
    query_run = json.loads(first.stdout)["steps"][0]["run_id"]
    # A new alpha: query is up to date (cached), fit runs again, report always runs.
    second = brain("run", str(project), "-e", "report", "-P", "alpha=0.9", "--json")
    assert second.exit_code == 0, second.output
    assert steps(second) == [("query", "cached"), ("fit", "ran"), ("report", "ran")]
    assert json.loads(second.stdout)["steps"][0]["run_id"] == query_run
    assert calls(project) == ["query", "fit", "report", "fit", "report"]
    # The summary table says the same, naming the run whose outputs were reused.
    third = brain("run", str(project), "-e", "report", "-P", "alpha=0.9")
    summary = third.stderr.split("pipeline summary:")[1].splitlines()
    assert summary[1].split()[:2] == ["step", "result"]
    assert summary[2].split()[:2] == ["query", "cached"] and query_run in summary[2]
    assert summary[3].split()[:2] == ["fit", "cached"]
    assert summary[4].split()[:2] == ["report", "ran"]


def test_force_reruns_every_step(brain: Callable[..., Result], project: Path) -> None:
    assert brain("run", str(project), "-e", "fit").exit_code == 0
    forced = brain("run", str(project), "-e", "fit", "--force", "--json")
    assert steps(forced) == [("query", "ran"), ("fit", "ran")]


def test_the_first_failure_stops_the_pipeline(brain: Callable[..., Result],
                                              project: Path) -> None:
    spec = project / "onebrain.yml"
    spec.write_text(spec.read_text() + "env:\n  variables: {FAIL_FIT: '1'}\n")
    result = brain("run", str(project), "-e", "report", "--json")
    assert result.exit_code == 7  # the failed step's own exit code
    assert steps(result) == [("query", "ran"), ("fit", "failed"), ("report", "not run")]
    assert calls(project) == ["query", "fit"]
    assert "an earlier step failed" in result.stderr


def test_parameters_go_to_the_steps_that_declare_them(brain: Callable[..., Result],
                                                      project: Path) -> None:
    result = brain("run", str(project), "-e", "report", "-P", "ds=2024-05-06",
                   "-P", "alpha=0.25")
    assert result.exit_code == 0, result.output
    assert "report of 2024-05-06 0.25" in result.stdout


def test_a_parameter_no_step_declares_is_refused(brain: Callable[..., Result],
                                                 project: Path) -> None:
    result = brain("run", str(project), "-e", "report", "-P", "alpah=0.3")
    assert result.exit_code == 2
    assert "alpah" in result.stderr
    assert calls(project) == []  # nothing ran


def test_a_bad_value_for_a_prerequisite_stops_before_anything_runs(
        brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-e", "report", "-P", "ds=yesterday")
    assert result.exit_code == 2
    assert "ds" in result.stderr and "Traceback" not in result.output
    assert calls(project) == []


def test_a_cycle_is_rejected_at_validation(brain: Callable[..., Result],
                                           make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": """
        name: loop
        version: 0.1.0
        entry_points:
          a: {command: echo a, depends_on: [c]}
          b: {command: echo b, depends_on: [a]}
          c: {command: echo c, depends_on: [b]}
    """})
    for args in (("validate", str(root)), ("run", str(root), "-e", "a")):
        result = brain(*args)
        assert result.exit_code == 2
        assert "dependency cycle" in result.stderr and "Traceback" not in result.output


def test_depending_on_an_app_is_refused(make_project: Callable[..., Path]) -> None:
    from brain.errors import InvalidInput
    from brain.runs.pipeline import pipeline_order
    from brain.runs.snapshot import load_snapshot

    root = make_project({"onebrain.yml": """
        name: served
        version: 0.1.0
        entry_points:
          serve: {type: app, command: python -m http.server 8123, port: 8123}
          check: {command: echo ok, depends_on: [serve]}
    """})
    with pytest.raises(InvalidInput, match="depends on the app 'serve'"):
        pipeline_order(load_snapshot(root), "check")


def test_a_diamond_runs_each_step_once(make_project: Callable[..., Path]) -> None:
    from brain.runs.pipeline import pipeline_order
    from brain.runs.snapshot import load_snapshot

    root = make_project({"onebrain.yml": """
        name: diamond
        version: 0.1.0
        entry_points:
          base: {command: echo base}
          left: {command: echo l, depends_on: [base]}
          right: {command: echo r, depends_on: [base]}
          top: {command: echo t, depends_on: [left, right]}
    """})
    assert pipeline_order(load_snapshot(root), "top") == ["base", "left", "right", "top"]
