"""Runs and datasets: versions recorded (read and written), setup-deps pulling inputs,
the dataset_versions helper other parts reuse."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

WRITER = """
from pathlib import Path
rows = Path("data/train.csv").read_text().splitlines()
Path("data/out.csv").write_text("\\n".join(reversed(rows)) + "\\n")
"""


def test_a_run_records_the_versions_it_read_and_wrote(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    (root / "count.py").write_text(WRITER)
    (root / "data" / "out.csv").write_text("old\n")
    spec = (root / "onebrain.yml").read_text().replace("data/summary.txt", "data/out.csv")
    (root / "onebrain.yml").write_text(spec)
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    assert brain("data", "add", "data/out.csv", "--name", "out", cwd=root).exit_code == 0
    ran = brain("run", "-e", "count", "--json", cwd=root)
    assert ran.exit_code == 0, ran.output
    extra = json.loads(ran.stdout)["extra"]
    train_md5 = hashlib.md5(b"x,y\n1,2\n3,4\n").hexdigest()
    assert extra["data"] == {"train.csv": train_md5,
                             "out": hashlib.md5(b"old\n").hexdigest()}
    assert extra["data_written"] == {
        "out": hashlib.md5((root / "data" / "out.csv").read_bytes()).hexdigest()}

    from brain.data.versions import dataset_versions
    from brain.spec.loader import load_project

    project = load_project(root)
    versions = dataset_versions(project, project.spec)
    assert versions["train.csv"] == train_md5 and versions["out"] == extra["data_written"]["out"]


def test_setup_deps_pulls_what_the_inputs_need(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    assert brain("data", "push", cwd=root).exit_code == 0
    (root / "data" / "train.csv").unlink()
    shutil.rmtree(root / ".brain" / "data")
    result = brain("setup-deps", "--json", cwd=root)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pulled"] == ["train.csv"]
    assert (root / "data" / "train.csv").read_text() == "x,y\n1,2\n3,4\n"


def test_a_run_keeps_the_users_own_changes(
        brain: Callable[..., Result], data_project: Callable[..., Path]) -> None:
    root = data_project()
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    (root / "data" / "train.csv").write_text("x,y\n9,9\n")  # edited, not added again
    ran = brain("run", "-e", "count", cwd=root)
    assert ran.exit_code == 0, ran.output
    assert (root / "data" / "summary.txt").read_text() == "2 rows\n"
    assert "changed" in brain("data", "status", "--no-remote", cwd=root).output
