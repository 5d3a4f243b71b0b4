"""RunPlan: entry lookup, argv per entry type, variables, ports (no environment needed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from brain.errors import InvalidInput
from brain.runs.plan import plan_run
from brain.spec.loader import Project, load_project

SPEC = """
name: planned
version: 0.1.0
entry_points:
  query_historical_data:
    type: shell
    command: python src/input_data.py
    parameters:
      ds: {type: date, help: Starting date (Format 2022-01-01)}
  fit models:
    type: bash
    command: python src/fit.py --alpha {{ alpha }} | tee out.txt
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1}
  by script:
    type: python
    script: src/fit.py
    parameters:
      alpha: {type: float, default: 0.5}
      mode: {type: choice, choices: [fast, full], default: fast}
      flag: {type: bool, default: false}
  by module:
    type: python
    module: pkg.cli
    parameters:
      when: {type: date, default: 2024-02-29}
  serve:
    type: app
    command: uvicorn app:app --port {{ port }}
    parameters:
      port: {type: int, default: 8880}
  fixed port:
    type: app
    command: python -m http.server 9123
    port: 9123
env:
  variables: {TZ: UTC, PYTHONUNBUFFERED: "0"}
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Project:
    return load_project(make_project({"onebrain.yml": SPEC}))


def test_seed_example_appends_the_unreferenced_date(project: Project) -> None:
    plan = plan_run(project, "query_historical_data", {"ds": "2022-01-01"})
    assert plan.argv == ("python", "src/input_data.py", "--ds", "2022-01-01")
    assert plan.command == "python src/input_data.py --ds 2022-01-01"
    assert plan.parameters == {"ds": date(2022, 1, 1)}
    assert plan.parameters_json() == {"ds": "2022-01-01"}
    assert plan.entry_type == "shell" and plan.cwd == project.root and plan.port is None


@pytest.mark.parametrize("name", ["fit models", "fit-models", "fit_models", "FIT  Models"])
def test_entry_names_match_after_normalisation(project: Project, name: str) -> None:
    plan = plan_run(project, name, {"alpha": "0.7"})
    assert plan.entry_name == "fit models"
    assert plan.argv == ("bash", "-c", "python src/fit.py --alpha 0.7 | tee out.txt")


def test_unknown_entry_lists_the_valid_ones_with_a_suggestion(project: Project) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan_run(project, "fit-model", {})
    assert "unknown entry point 'fit-model' (did you mean 'fit models'?" in caught.value.message
    assert "'query_historical_data'" in caught.value.message


def test_python_script_gets_every_parameter_as_options(project: Project) -> None:
    plan = plan_run(project, "by script", {"alpha": "-0.25", "flag": "yes"})
    assert plan.argv == ("python", "src/fit.py", "--alpha=-0.25", "--mode", "fast",
                         "--flag", "true")
    assert plan.command == "python src/fit.py --alpha=-0.25 --mode fast --flag true"


def test_python_module(project: Project) -> None:
    plan = plan_run(project, "by-module", {})
    assert plan.argv == ("python", "-m", "pkg.cli", "--when", "2024-02-29")


def test_variables(project: Project) -> None:
    plan = plan_run(project, "by-module", {}, run_id="0123abcd")
    assert dict(plan.variables) == {
        "PYTHONUNBUFFERED": "0",  # the spec's own value wins over brain's default
        "TZ": "UTC", "BRAIN_RUN_ID": "0123abcd", "BRAIN_PROJECT_DIR": str(project.root)}


def test_run_ids_are_unique(project: Project) -> None:
    ids = {plan_run(project, "by-module", {}).run_id for _ in range(200)}
    assert len(ids) == 200


def test_app_port_from_parameter_and_from_entry(project: Project) -> None:
    assert plan_run(project, "serve", {}).port == 8880
    assert plan_run(project, "serve", {"port": "9001"}).port == 9001
    assert plan_run(project, "serve", {"port": "9001"}).argv[-1] == "9001"
    assert plan_run(project, "fixed port", {}).port == 9123


def test_app_port_out_of_range(project: Project) -> None:
    with pytest.raises(InvalidInput, match="port 70000 is not a TCP port"):
        plan_run(project, "serve", {"port": "70000"})


def test_default_entry_is_main_or_the_only_one(make_project: Callable[..., Path]) -> None:
    only = load_project(make_project({"onebrain.yml": """
        name: one
        version: 0.1.0
        entry_points:
          hello: {command: echo hi}
    """}))
    assert plan_run(only, None, {}).entry_name == "hello"
    two = load_project(make_project({"onebrain.yml": """
        name: two
        version: 0.1.0
        entry_points:
          a: {command: echo a}
          b: {command: echo b}
    """}))
    with pytest.raises(InvalidInput, match="which entry point"):
        plan_run(two, None, {})


def test_notebook_entries_run_through_the_driver(make_project: Callable[..., Path]) -> None:
    # (brain.notebooks; the notebook tests themselves live in tests/notebooks/)
    project = load_project(make_project({"onebrain.yml": """
        name: nb
        version: 0.1.0
        entry_points:
          report: {type: notebook, notebook: eval.ipynb, parameters: {n: {type: int, default: 3}}}
    """}))
    plan = plan_run(project, "report", {})
    assert plan.command == "papermill eval.ipynb -p n 3"
    assert plan.argv[0] == "python" and plan.argv[1].endswith("driver.py")
