"""The run cache: a hit names the earlier run; a change to an input, a parameter, the code or
the environment is a miss; outputs deleted or edited by hand make it run again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.run.conftest import build_environment

SPEC = """
name: cached
version: 0.1.0
entry_points:
  fit:
    type: python
    script: fit.py
    parameters:
      alpha: {type: float, default: 0.5}
    inputs: [data/train.csv]
    outputs: [models/model.json]
  plain:
    type: shell
    command: python fit.py
"""

FIT = """
import argparse, json, os
from pathlib import Path
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float, default=0.5)
alpha = parser.parse_args().alpha
rows = Path("data/train.csv").read_text().splitlines()
Path("models").mkdir(exist_ok=True)
Path("models/model.json").write_text(json.dumps({"alpha": alpha, "rows": len(rows)}))
print(f"fitted alpha={alpha} on {len(rows)} rows")
# How many times the script really ran, counted outside the project (not a source file).
with open(os.environ["BRAIN_PROJECT_DIR"] + ".calls", "a") as log:
    log.write(os.environ["BRAIN_RUN_ID"] + "\\n")
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project({"onebrain.yml": SPEC, "fit.py": FIT, "data/train.csv": "x,y\n1,2\n"})
    build_environment(root)
    return root


def run(brain: Callable[..., Result], project: Path, *args: str) -> dict[str, object]:
    result = brain("run", str(project), "-e", "fit", "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def calls(project: Path) -> int:
    log = project.with_name(project.name + ".calls")
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_second_identical_run_is_skipped_naming_the_run_it_reuses(
        brain: Callable[..., Result], project: Path) -> None:
    first = run(brain, project)
    assert first["cached"] is False and first["status"] == "succeeded"
    assert isinstance(first["extra"], dict) and "cache_key" in first["extra"]
    assert first["extra"]["outputs"]["models/model.json"]  # hashed at the end of the run

    result = brain("run", str(project), "-e", "fit")
    assert result.exit_code == 0, result.output
    assert f"fit is up to date: its outputs come from run {first['id']}" in result.stderr
    # A repeated command still shows its result: what was reused and the earlier output.
    assert "reused: models/model.json" in result.stderr
    assert "fitted alpha=0.5 on 2 rows" in result.stderr
    assert calls(project) == 1

    forced = run(brain, project, "--force")
    assert forced["cached"] is False and forced["id"] != first["id"]
    assert calls(project) == 2


@pytest.mark.parametrize("change", ["input", "parameter", "code", "new source file"])
def test_a_change_is_a_miss(brain: Callable[..., Result], project: Path, change: str) -> None:
    first = run(brain, project)
    args: list[str] = []
    if change == "input":
        (project / "data/train.csv").write_text("x,y\n1,2\n3,4\n")
    elif change == "parameter":
        args = ["-P", "alpha=0.7"]
    elif change == "code":
        (project / "fit.py").write_text(FIT + "\n# a comment is a change too\n")
    else:
        (project / "helpers.py").write_text("VALUE = 1\n")
    second = run(brain, project, *args)
    assert second["cached"] is False and second["id"] != first["id"]
    assert calls(project) == 2
    # `brain runs diff` names what changed.
    diff = brain("runs", "diff", str(first["id"]), str(second["id"]), "--json")
    differences = json.loads(diff.stdout)["differences"]
    expected = {"input": "inputs", "parameter": "parameters"}.get(change, "code")
    assert expected in differences
    assert "environment" not in differences
    # ... and the same again is a hit on the new run.
    third = run(brain, project, *args)
    assert third["cached"] is True and third["id"] == second["id"]


def test_a_change_of_environment_is_a_miss(brain: Callable[..., Result], project: Path) -> None:
    first = run(brain, project)
    spec = project / "onebrain.yml"
    spec.write_text(spec.read_text() + "env:\n  python:\n    pip:\n      six: ==1.16.0\n")
    second = run(brain, project)
    assert second["cached"] is False
    assert second["env_identity"] != first["env_identity"]
    # The spec is not hashed as code: only the environment aspect differs.
    diff = brain("runs", "diff", str(first["id"]), str(second["id"]), "--json")
    differences = json.loads(diff.stdout)["differences"]
    assert "environment" in differences and "code" not in differences
    assert "parameters" not in differences and "inputs" not in differences


def test_editing_an_unrelated_part_of_the_spec_keeps_the_hit(
        brain: Callable[..., Result], project: Path) -> None:
    first = run(brain, project)
    spec = project / "onebrain.yml"
    spec.write_text(spec.read_text().replace("version: 0.1.0", "version: 0.1.0\n"
                                             "description: now described"))
    assert run(brain, project)["id"] == first["id"]


@pytest.mark.parametrize("how", ["deleted", "edited"])
def test_outputs_changed_by_hand_cause_a_rerun(brain: Callable[..., Result], project: Path,
                                               how: str) -> None:
    first = run(brain, project)
    model = project / "models/model.json"
    if how == "deleted":
        model.unlink()
    else:
        model.write_text("{}")
    second = run(brain, project)
    assert second["cached"] is False and second["id"] != first["id"]
    assert json.loads(model.read_text())["alpha"] == 0.5


def test_entry_points_without_outputs_always_run(brain: Callable[..., Result],
                                                 project: Path) -> None:
    for _ in range(2):
        result = brain("run", str(project), "-e", "plain")
        assert result.exit_code == 0, result.output
        assert "up to date" not in result.stderr
    assert calls(project) == 2


def test_a_failed_run_is_never_reused(brain: Callable[..., Result], project: Path) -> None:
    (project / "data/train.csv").unlink()
    failed = brain("run", str(project), "-e", "fit")
    assert failed.exit_code != 0
    (project / "data/train.csv").write_text("x,y\n1,2\n")
    assert run(brain, project)["cached"] is False


def test_cache_key_covers_the_environment_identity(project: Path) -> None:
    from brain.runs.cache import cache_key
    from brain.runs.plan import plan_run
    from brain.spec.loader import load_project

    plan = plan_run(load_project(project), "fit", {})
    same = cache_key(plan, "env-a")
    assert cache_key(plan, "env-a") == same
    assert cache_key(plan, "env-b").key != same.key
    assert cache_key(plan, "env-b").source == same.source


def test_outside_git_the_walk_skips_state_and_outputs(project: Path) -> None:
    from brain.runs.cache import source_digest

    before = source_digest(project, ["models/model.json"])
    (project / ".brain" / "junk.txt").write_text("state")
    (project / "models").mkdir(exist_ok=True)
    (project / "models/model.json").write_text("{}")
    (project / "__pycache__").mkdir()
    (project / "__pycache__/x.pyc").write_bytes(b"\0")
    assert source_digest(project, ["models/model.json"]) == before
    (project / "fit.py").write_text("changed")
    assert source_digest(project, ["models/model.json"]) != before


def test_in_git_only_tracked_files_count(project: Path) -> None:
    from brain.process import run_checked
    from brain.runs.cache import source_digest

    for argv in (["git", "init", "-q"], ["git", "add", "fit.py", "onebrain.yml"],
                 ["git", "commit", "-q", "-m", "first"]):
        run_checked(argv, cwd=project, what="git")
    before = source_digest(project)
    (project / "scratch.txt").write_text("untracked: not code")
    assert source_digest(project) == before
    (project / "fit.py").write_text("edited but uncommitted: code")
    assert source_digest(project) != before
