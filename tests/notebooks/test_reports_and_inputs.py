"""Without a kernel: the requirements brain adds for notebooks, and every bad input on the
notebook and report paths (one clear line, exit 2, nothing run)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result
from tests.notebooks.conftest import notebook_json


def spec(notebook: str = "report.ipynb", pip: str = "") -> str:
    return f"""
        name: nb
        version: 0.1.0
        entry_points:
          report: {{type: notebook, notebook: {notebook}}}
        {pip}
    """


def test_notebook_requirements_only_with_a_notebook_entry_and_the_users_pin_wins() -> None:
    from brain.entrypoints import environment_requirements as notebook_requirements

    assert notebook_requirements(["shell", "python"], []) == []
    added = notebook_requirements(["shell", "notebook"], ["Papermill>=2", "numpy==1.26.4"])
    assert [line.split("==")[0] for line in added] == ["nbconvert", "ipykernel"]
    assert notebook_requirements(["notebook"], ["ipykernel[test] >= 6", "nbconvert",
                                                "papermill"]) == []


def test_the_environment_identity_covers_them(make_project: Callable[..., Path]) -> None:
    from brain.envs.identity import collect_inputs
    from brain.spec.loader import load_project

    with_notebook = load_project(make_project({"onebrain.yml": spec(), "report.ipynb": "{}"}))
    lines = collect_inputs(with_notebook).lines
    assert "papermill==2.7.0" in lines and "ipykernel==6.29.5" in lines
    pinned = load_project(make_project({
        "onebrain.yml": spec(pip="env: {python: {pip: {papermill: ==2.6.0}}}"),
        "report.ipynb": "{}"}))
    assert "papermill==2.6.0" in collect_inputs(pinned).lines
    assert "papermill==2.7.0" not in collect_inputs(pinned).lines
    plain = load_project(make_project({"onebrain.yml": """
        name: plain
        version: 0.1.0
        entry_points: {main: {command: echo hi}}
    """}))
    assert not [line for line in collect_inputs(plain).lines if "papermill" in line]


def test_a_missing_notebook_stops_before_anything_is_built(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec()})
    result = brain("run", str(root), "-e", "report")
    assert result.exit_code == 2
    assert "notebook report.ipynb not found" in result.stderr
    assert "Traceback" not in result.output
    assert not (root / ".brain" / "venv").exists()


def test_a_notebook_outside_the_project_is_refused(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec(notebook="../elsewhere.ipynb")})
    (root.parent / "elsewhere.ipynb").write_text(notebook_json(("code", "1", [])))
    result = brain("run", str(root), "-e", "report")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (root / ".brain").exists()


def test_dry_run_shows_the_driver_and_runs_nothing(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec(), "report.ipynb": "{}"})
    result = brain("run", str(root), "-e", "report", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["command"] == "papermill report.ipynb"
    assert plan["argv"][1].endswith("brain/notebooks/driver.py")
    assert not (root / ".brain" / "reports").exists()


def test_the_driver_refuses_bad_usage() -> None:
    from brain.notebooks.execute import DRIVER

    result = subprocess.run([sys.executable, str(DRIVER), "only-one-argument"],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "usage:" in result.stderr


def make_report(root: Path, run_id: str, provenance: dict[str, object] | str) -> Path:
    folder = root / ".brain" / "reports" / run_id
    folder.mkdir(parents=True)
    text = provenance if isinstance(provenance, str) else json.dumps(provenance)
    (folder / "provenance.json").write_text(text)
    return folder


def test_report_list_skips_damaged_records_and_foreign_paths(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec(), "report.ipynb": "{}"})
    make_report(root, "aaaa", "{not json")
    make_report(root, "bbbb", json.dumps(["a", "list"]))
    (root.parent / "secret.html").write_text("secret")
    make_report(root, "cccc", {"run_id": "cccc", "status": "succeeded",
                               "files": {"html": "../../../secret.html"},
                               "timings": {"started_at": 1.0}})
    result = brain("report", "list", "--json", "--path", str(root))
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [report["run_id"] for report in reports] == ["cccc"]
    assert reports[0]["html_path"] is None  # a record never points outside its folder
    opened = brain("report", "open", "cccc", "--path", str(root))
    assert opened.exit_code == 2 and "left no HTML report" in opened.stderr


def test_report_index_without_reports(brain: Callable[..., Result],
                                      make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec(), "report.ipynb": "{}"})
    empty = brain("report", "--path", str(root))
    assert empty.exit_code == 0 and "no reports yet" in empty.stdout
    result = brain("report", "index", "--path", str(root))
    assert result.exit_code == 0
    assert "No reports yet" in Path(result.stdout.strip()).read_text()


def test_report_bad_ids_and_places(brain: Callable[..., Result],
                                   make_project: Callable[..., Path], tmp_path: Path) -> None:
    root = make_project({"onebrain.yml": spec(), "report.ipynb": "{}"})
    make_report(root, "abc1", {"run_id": "abc1", "timings": {"started_at": 2.0}})
    make_report(root, "abc2", {"run_id": "abc2", "timings": {"started_at": 3.0}})
    cases = [
        (("report", "open", "../../etc", "--path", str(root)), "is not a run id"),
        (("report", "open", "ffff", "--path", str(root)), "no report of run 'ffff'"),
        (("report", "open", "abc", "--path", str(root)), "ambiguous"),
        (("report", "list", "--path", str(tmp_path / "nowhere")), "is not a project folder"),
    ]
    for args, message in cases:
        result = brain(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr and "Traceback" not in result.output
    outside = tmp_path / "no-project-here"
    outside.mkdir()
    result = brain("report", cwd=outside)
    assert result.exit_code == 2 and "no onebrain.yml" in result.stderr


def test_the_docker_backend_is_refused_for_notebooks(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec(), "report.ipynb": "{}"})
    result = brain("run", str(root), "-e", "report", "--backend", "docker")
    assert result.exit_code == 2 and "venv" in result.stderr
    assert "Traceback" not in result.output
