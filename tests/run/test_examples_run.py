"""Every project in examples/ validates and its main entry point runs, for real."""

from __future__ import annotations

import json
import shutil
import signal
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.app import port_answers
from brain.runs.store import RunStore
from brain.spec.loader import load_project
from tests.conftest import Result
from tests.run.conftest import REPO_ROOT, free_port, start_brain, wait_for

EXAMPLES = sorted(path.parent for path in (REPO_ROOT / "examples").glob("*/onebrain.yml"))


def copy_example(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".brain", "models"))
    return target


def test_there_are_examples() -> None:
    assert {path.name for path in EXAMPLES} >= {"fit-model", "my-cool-api"}


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_example_validates_and_its_main_entry_point_runs(
        example: Path, tmp_path: Path, brain: Callable[..., Result]) -> None:
    spec_text = (example / "onebrain.yml").read_text()
    assert spec_text.startswith("# yaml-language-server: $schema=../../onebrain.schema.json\n")
    assert (example / "README.md").is_file()
    root = copy_example(example, tmp_path)
    assert brain("validate", str(root)).exit_code == 0
    entry = load_project(root).spec.entry_points["main"]
    if entry.type == "app":
        run_app(root)
    else:
        result = brain("run", str(root), "-e", "main")
        assert result.exit_code == 0, result.output
    record = RunStore().list()[0]
    assert record.entry_point == "main"
    assert record.status == ("interrupted" if entry.type == "app" else "succeeded")


def run_app(root: Path) -> None:
    port = free_port()
    brain = start_brain("run", str(root), "-e", "main", "-P", f"port={port}")
    try:
        wait_for(lambda: port_answers(port) or brain.poll() is not None, timeout=300,
                 what="the app's port")
        assert brain.poll() is None, brain.communicate()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
            body = json.loads(page.read())
        assert body["message"] and body["run_id"] == RunStore().list()[0].id
    finally:
        brain.send_signal(signal.SIGINT)
        _, err = brain.communicate(timeout=60)
    assert brain.returncode == 130, err


@pytest.mark.slow
def test_fit_model_readme_commands(tmp_path: Path, brain: Callable[..., Result]) -> None:
    root = copy_example(REPO_ROOT / "examples" / "fit-model", tmp_path)
    result = brain("run", str(root), "-e", "fit-models", "-P", "alpha=0.7", "-P", "mode=full")
    assert result.exit_code == 0, result.output
    model = json.loads((root / "models" / "model.json").read_text())
    assert model["alpha"] == 0.7 and model["mode"] == "full"
    assert 2.5 < model["slope"] < 3.5
    record = RunStore().list()[0]
    assert record.extra["outputs"]["models/model.json"] is not None
    assert set(record.extra["inputs"]) == {"data/train.csv"}
    seed = brain("run", str(root), "-e", "query_historical_data", "-P", "ds=2022-01-01",
                 "--dry-run", "--json")
    assert json.loads(seed.stdout)["argv"] == ["python", "src/input_data.py", "--ds",
                                               "2022-01-01"]
    refused = brain("run", str(root), "-e", "fit_models", "-P", "alpha=2")
    assert refused.exit_code == 2
    assert "parameter 'alpha': 2.0 is above the maximum 1" in refused.stderr
