"""The issue's "done when", as a new user would: add a dataset, push it, clone the project
elsewhere and run it (the data comes along), change the data and see `runs diff` say so,
then check out the first run and get its data back."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result
from tests.data.conftest import git

# 50 MB in CI; the 500 MB with BRAIN_TEST_DATASET_MB=500 (the same steps, longer).
SIZE = int(os.environ.get("BRAIN_TEST_DATASET_MB", "50")) << 20


def _run_ids(brain: Callable[..., Result], cwd: Path) -> list[str]:
    listed = brain("runs", "list", "--json", cwd=cwd)
    return [run["id"] for run in json.loads(listed.stdout)]


def test_a_dataset_travels_with_its_project_and_its_runs(
        brain: Callable[..., Result], data_project: Callable[..., Path],
        tmp_path: Path) -> None:
    root = data_project()
    with open(root / "data" / "train.csv", "w") as train:
        train.write("x,y\n")
        line = "0.123456789,0.987654321\n"
        train.write(line * (SIZE // len(line)))
    (root / ".gitignore").write_text("data/summary.txt\n")
    added = brain("data", "add", "data/train.csv", cwd=root)
    assert added.exit_code == 0, added.output
    assert brain("data", "push", cwd=root).exit_code == 0
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "a project with a dataset", cwd=root)
    tracked = git("ls-files", cwd=root).split()
    assert "data/train.csv.dvc" in tracked and "data/train.csv" not in tracked

    clone = tmp_path / "elsewhere" / "demo"
    git("clone", "-q", str(root), str(clone), cwd=tmp_path)
    assert not (clone / "data" / "train.csv").exists()
    first = brain("run", "-e", "count", cwd=clone)
    assert first.exit_code == 0, first.output
    assert "pulling dataset(s) train.csv" in first.output
    rows = SIZE // len("0.123456789,0.987654321\n") + 1
    assert (clone / "data" / "summary.txt").read_text() == f"{rows} rows\n"

    with open(clone / "data" / "train.csv", "a") as train:
        train.write("1,1\n")
    second = brain("run", "-e", "count", cwd=clone)
    assert second.exit_code == 0, second.output
    newest, oldest = _run_ids(brain, clone)[:2]
    diff = brain("runs", "diff", oldest, newest, cwd=clone)
    assert "data differ: train.csv" in diff.stdout, diff.output

    # The first run's data is back with `brain checkout`, once the edit is saved.
    refused = brain("checkout", oldest, cwd=clone)
    assert refused.exit_code == 2 and "in no cache" in refused.stderr
    assert git("branch", "--show-current", cwd=clone).strip() == "main"  # nothing switched
    assert brain("data", "add", "data/train.csv", cwd=clone).exit_code == 0
    git("commit", "-q", "-am", "more data", cwd=clone)
    restored = brain("checkout", oldest, cwd=clone)
    assert restored.exit_code == 0, restored.output
    assert "data restored as run" in restored.output
    assert (clone / "data" / "train.csv").stat().st_size == SIZE // 24 * 24 + 4
