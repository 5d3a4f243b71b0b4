"""As a new user would: generate the `pipeline` and `notebook-report` templates, run them
twice with the same and with different parameters, and build the report index."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

pytestmark = pytest.mark.slow


def run(brain: Callable[..., Result], root: Path, *args: str) -> dict[str, object]:
    result = brain("run", str(root), "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def results(data: dict[str, object]) -> list[tuple[str, str]]:
    steps = data["steps"]
    assert isinstance(steps, list)
    return [(step["entry_point"], step["result"]) for step in steps]


def test_the_pipeline_template(brain: Callable[..., Result], tmp_path: Path) -> None:
    made = brain("generate", "--template", "pipeline", "--no-input", str(tmp_path / "flow"))
    assert made.exit_code == 0, made.output
    root = tmp_path / "flow"
    assert results(run(brain, root, "-e", "train")) == [("prepare", "ran"), ("train", "ran")]
    assert results(run(brain, root, "-e", "train")) == [("prepare", "cached"),
                                                        ("train", "cached")]
    assert results(run(brain, root, "-e", "train", "-P", "intercept=false")) == [
        ("prepare", "cached"), ("train", "ran")]
    assert json.loads((root / "models/model.json").read_text())["intercept"] == 0.0
    assert results(run(brain, root, "-e", "train", "-P", "min_y=3")) == [
        ("prepare", "ran"), ("train", "ran")]
    # The project's own tests pass in its environment.
    tests = brain("run", str(root), "-e", "test")
    assert tests.exit_code == 0, tests.output


def test_the_notebook_report_template(brain: Callable[..., Result], tmp_path: Path) -> None:
    made = brain("generate", "--template", "notebook-report", "--no-input",
                 str(tmp_path / "daily"))
    assert made.exit_code == 0, made.output
    root = tmp_path / "daily"
    first = run(brain, root)
    second = run(brain, root)
    other = run(brain, root, "-P", "ds=2024-03-01", "-P", "days=30")
    assert len({first["id"], second["id"], other["id"]}) == 3  # reports always run
    assert "30 days from 2024-03-01" in Path(str(other["report"])).read_text()
    index = brain("report", "index", "--path", str(root))
    assert index.exit_code == 0, index.output
    page = Path(index.stdout.strip()).read_text()
    for data in (first, second, other):
        assert f'href="{data["id"]}/report.html"' in page
    tests = brain("run", str(root), "-e", "test")
    assert tests.exit_code == 0, tests.output
