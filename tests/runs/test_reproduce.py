"""`brain runs reproduce`, for real: a run re-created from its record in a clean copy of its
commit (real git, a real uv environment), its outputs compared with the record's hashes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.record import RunRecord
from brain.runs.reproduce import _data_changes
from tests.conftest import Result
from tests.runs.conftest import record_fields
from tests.workspace.helpers import commit_all, git

Brain = Callable[..., Result]

SPEC = """\
name: repro
version: 0.1.0
entry_points:
  main:
    type: python
    script: make.py
    parameters:
      scale: {type: float, default: 1.0}
      noisy: {type: bool, default: false}
    inputs: [data/in.csv]
    outputs: [out/result.csv, out/stable.txt]
  nothing:
    type: python
    script: make.py
"""

MAKE = """\
import argparse, os, random
parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0)
parser.add_argument("--noisy", default="false")
args = parser.parse_args()
os.makedirs("out", exist_ok=True)
rows = open("data/in.csv").read().splitlines()[1:]
with open("out/result.csv", "w") as handle:
    handle.write("a,scaled,noise\\n")
    for line in rows:
        a = float(line.split(",")[0])
        noise = random.random() if args.noisy == "true" else 0
        handle.write(f"{a},{a * args.scale},{noise}\\n")
open("out/stable.txt", "w").write("stable\\n")
"""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    """A committed project whose input is git-ignored (as data usually is)."""
    root = make_project({"onebrain.yml": SPEC, "make.py": MAKE,
                         ".gitignore": ".brain/\nout/\ndata/\n",
                         "data/in.csv": "a,b\n1,2\n3,4\n5,6\n"})
    git(root, "init", "--quiet", "-b", "main")
    commit_all(root, "the project")
    return root


def _run(brain: Brain, project: Path, *params: str) -> str:
    done = brain("run", str(project), "-e", "main", "--json",
                 *(item for param in params for item in ("-P", param)))
    assert done.exit_code == 0, done.output
    run_id: str = json.loads(done.stdout)["id"]
    return run_id


def test_a_deterministic_run_reproduces_identical(project: Path, brain: Brain) -> None:
    run_id = _run(brain, project, "scale=2.5")
    (project / "notes.txt").write_text("work in progress\n")  # the user's own, untracked
    status = git(project, "status", "--porcelain")
    done = brain("runs", "reproduce", run_id)
    assert done.exit_code == 0, done.output
    assert f"reproduced: identical (2 output(s) match run {run_id}" in done.stdout
    # The user's working tree is as it was: nothing checked out, added or removed there.
    assert git(project, "status", "--porcelain") == status
    assert (project / "notes.txt").read_text() == "work in progress\n"
    # The reproduction is a recorded run of its own, naming the original.
    data = json.loads(brain("runs", "reproduce", run_id, "--json").stdout)
    assert data["identical"] is True and data["run"] == run_id
    assert data["same_environment"] is True  # the same (empty) requirement set, rebuilt
    new = json.loads(brain("runs", "show", data["reproduction"], "--json").stdout)
    assert new["extra"]["reproduces"] == run_id
    assert new["parameters"] == {"scale": 2.5, "noisy": False}
    assert new["git"]["commit"] == git(project, "rev-parse", "HEAD")


def test_a_non_deterministic_output_is_reported_as_different(project: Path,
                                                             brain: Brain) -> None:
    run_id = _run(brain, project, "noisy=true")
    done = brain("runs", "reproduce", run_id)
    assert done.exit_code == 6, done.output
    assert f"reproduced: 1 of 2 output(s) differ from run {run_id}" in done.stdout
    line = next(text for text in done.stdout.splitlines() if "out/result.csv" in text)
    assert "different:" in line and "rows 3 -> 3" in line
    assert "changed columns: noise (3 rows)" in line
    assert "  out/stable.txt: identical" in done.stdout
    data = json.loads(brain("runs", "reproduce", run_id, "--json").stdout)
    (result, stable) = data["outputs"]
    assert result["status"] == "different" and stable["status"] == "identical"
    assert result["table"]["columns_changed"] == {"noise": 3}
    assert result["recorded_size"] is not None and result["new_size"] is not None


def test_a_run_with_uncommitted_changes_is_refused(project: Path, brain: Brain) -> None:
    (project / "make.py").write_text(MAKE + "# an edit\n")
    run_id = _run(brain, project)
    done = brain("runs", "reproduce", run_id)
    assert done.exit_code == 2
    assert "ran with uncommitted changes" in done.stderr
    assert "brain run --commit" in done.stderr


def test_a_run_outside_git_is_refused(make_project: Callable[..., Path], brain: Brain) -> None:
    root = make_project({"onebrain.yml": SPEC, "make.py": MAKE, "data/in.csv": "a,b\n1,2\n"})
    run_id = _run(brain, root)
    done = brain("runs", "reproduce", run_id)
    assert done.exit_code == 2
    assert "has no recorded commit" in done.stderr


def test_a_run_without_output_hashes_is_refused(project: Path, brain: Brain) -> None:
    done = brain("run", str(project), "-e", "nothing", "--json")
    assert done.exit_code == 0, done.output
    run_id = json.loads(done.stdout)["id"]
    refused = brain("runs", "reproduce", run_id)
    assert refused.exit_code == 2
    assert "recorded no output hashes" in refused.stderr


def test_an_input_no_longer_at_its_recorded_version_is_refused(project: Path,
                                                               brain: Brain) -> None:
    run_id = _run(brain, project)
    (project / "data" / "in.csv").write_text("a,b\n9,9\n")  # git-ignored: not in the commit
    done = brain("runs", "reproduce", run_id)
    assert done.exit_code == 2
    assert "read data/in.csv at a version that is neither in its commit" in done.stderr


def test_data_versions_are_compared_when_the_record_has_them() -> None:
    old = RunRecord(**record_fields(extra={"data": {"train": "aa", "test": "bb"}}))
    same = RunRecord(**record_fields(extra={"data": {"train": "aa", "test": "bb"}}))
    moved = RunRecord(**record_fields(extra={"data": {"train": "cc"}}))
    plain = RunRecord(**record_fields(extra={}))
    assert _data_changes(old, same) == {}
    assert _data_changes(old, moved) == {"train": ("aa", "cc"), "test": ("bb", None)}
    assert _data_changes(plain, moved) == {}  # a project that does not version its data
