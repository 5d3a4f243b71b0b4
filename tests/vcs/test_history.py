"""`brain checkout RUN`, `brain log` and `commit_before_run` on real repositories and a real
run store."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from brain.runs.record import GitState, RunRecord
from brain.runs.store import RunStore, new_run_id
from brain.vcs.sync import commit_before_run
from tests.workspace.helpers import git, spec_text, write_project

T0 = 1_750_000_000


def store_run(project_path: Path, *, commit: str | None, dirty: bool | None = False,
              started_at: float = T0, **overrides: Any) -> RunRecord:
    fields: dict[str, Any] = {
        "id": new_run_id(), "namespace": "ml", "project": "demand", "version": "0.1.0",
        "project_path": str(project_path), "entry_point": "main", "parameters": {"alpha": 0.5},
        "command": "python run.py --alpha 0.5", "backend": "venv", "env_identity": "env",
        "spec_hash": "spec", "python_version": "3.11", "host": "here", "user": "ana",
        "pid": 1, "started_at": started_at, "ended_at": started_at + 2, "status": "succeeded",
        "exit_code": 0, "git": GitState(commit=commit, branch="main", dirty=dirty),
    }
    fields.update(overrides)
    record = RunRecord(**fields)
    with RunStore() as store:
        store.insert(record)
    return record


def commit_at(root: Path, message: str, when: int) -> str:
    """Commit everything with author and committer time `when` (unix seconds)."""
    stamp = f"@{when} +0000"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    import subprocess

    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", message], cwd=root, check=True, env=env)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    folder = write_project(root, "projects/demand", spec_text("demand", namespace="ml"))
    write_project(root, "projects/other", spec_text("other", namespace="ml"))
    git(root, "init", "--quiet")
    return folder


def test_checkout_creates_a_branch_at_the_runs_commit(project: Path, brain) -> None:
    root = project.parent.parent
    first = commit_at(root, "first", T0)
    run = store_run(project, commit=first)
    (project / "run.py").write_text("print('later')\n")
    commit_at(root, "later", T0 + 100)
    result = brain("checkout", run.id[:10], cwd=root)
    assert result.exit_code == 0, result.output
    assert f"switched to new branch brain/run-{run.id} at {first[:8]}" in result.stdout
    assert git(root, "branch", "--show-current") == f"brain/run-{run.id}"
    assert git(root, "rev-parse", "HEAD") == first
    assert (project / "run.py").read_text() == "print('hi')\n"
    assert "uncommitted" not in result.stderr
    # Again: the branch exists at the same commit, so it is simply switched to.
    git(root, "switch", "--quiet", "main")
    result = brain("checkout", run.id, cwd=root)
    assert result.exit_code == 0 and "switched to branch" in result.stdout


def test_checkout_refuses_another_repository_unless_told(project: Path, tmp_path: Path,
                                                          brain) -> None:
    root = project.parent.parent
    first = commit_at(root, "first", T0)
    run = store_run(project, commit=first)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(elsewhere, "init", "--quiet")
    for cwd in (elsewhere, tmp_path):  # another repository, then no repository at all
        result = brain("checkout", run.id, cwd=cwd)
        assert result.exit_code == 2, result.output
        assert f"ran in the repository {root.resolve()}" in result.stderr
        assert "--project" in result.stderr
        assert git(root, "branch", "--show-current") == "main"
    result = brain("checkout", run.id, "--project", cwd=elsewhere)
    assert result.exit_code == 0, result.output
    assert f"in {root.resolve()}" in result.stdout
    assert git(root, "branch", "--show-current") == f"brain/run-{run.id}"


def test_checkout_refuses_a_dirty_tree_and_keeps_it(project: Path, brain) -> None:
    root = project.parent.parent
    first = commit_at(root, "first", T0)
    run = store_run(project, commit=first)
    (project / "run.py").write_text("print('work in progress')\n")
    result = brain("checkout", run.id, cwd=root)
    assert result.exit_code == 2
    assert "has uncommitted changes" in result.stderr and "git stash" in result.stderr
    assert (project / "run.py").read_text() == "print('work in progress')\n"
    assert git(root, "branch", "--list", "brain/*") == ""


def test_checkout_says_when_the_run_was_dirty(project: Path, brain) -> None:
    root = project.parent.parent
    first = commit_at(root, "first", T0)
    run = store_run(project, commit=first, dirty=True)
    result = brain("checkout", run.id, cwd=root)
    assert result.exit_code == 0
    assert f"warning: run {run.id} ran with uncommitted changes" in result.stderr


@pytest.mark.parametrize("run_id", ["-x", "../../etc", "zzzz", "", "1234567890abcdef0"])
def test_checkout_hostile_or_unknown_run_ids(project: Path, brain, run_id: str) -> None:
    commit_at(project.parent.parent, "first", T0)
    result = brain("checkout", run_id, cwd=project)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_checkout_of_a_run_without_commit_or_from_elsewhere(project: Path, brain) -> None:
    root = project.parent.parent
    commit_at(root, "first", T0)
    no_git = store_run(project, commit=None)
    result = brain("checkout", no_git.id, cwd=root)
    assert result.exit_code == 2 and "has no recorded commit" in result.stderr
    foreign = store_run(project, commit="b" * 40)
    result = brain("checkout", foreign.id, cwd=root)
    assert result.exit_code == 2 and "is not in" in result.stderr and "git fetch" in result.stderr


def test_log_interleaves_commits_and_runs_newest_first(project: Path, brain) -> None:
    root = project.parent.parent
    first = commit_at(root, "first", T0)
    store_run(project, commit=first, started_at=T0 + 10, status="failed", exit_code=1)
    (project / "run.py").write_text("print('fixed')\n")
    second = commit_at(root, "fix the bug", T0 + 20)
    store_run(project, commit=second, started_at=T0 + 30, dirty=True)
    (root / "projects/other/run.py").write_text("print('elsewhere')\n")
    commit_at(root, "other project only", T0 + 40)  # not this project's history
    store_run(project, commit=second, started_at=T0 + 50, project="other")  # another project
    result = brain("log", "--json", cwd=project)
    assert result.exit_code == 0, result.output
    feed = json.loads(result.stdout)
    assert [(item["kind"], item["time"]) for item in feed] == [
        ("run", T0 + 30), ("commit", T0 + 20), ("run", T0 + 10), ("commit", T0)]
    assert feed[1]["title"] == "fix the bug" and feed[1]["id"] == second
    assert feed[0]["code"] == f"{second[:8]}+dirty"
    assert brain("log", "projects/demand", "--limit", "2", "--json", cwd=root).stdout \
        == json.dumps(feed[:2], indent=2) + "\n"
    text = brain("log", "ml/demand", cwd=root).stdout.splitlines()
    assert [line.split("\t")[1] for line in text[1:]] == ["run", "commit", "run", "commit"]
    assert "run main: failed (exit 1)" in text[3]
    # The workspace root: every commit, every run of its projects, none from elsewhere.
    outside = root.parent / "repo-elsewhere"  # shares the prefix "repo" as text
    outside.mkdir()
    store_run(outside, commit=second, started_at=T0 + 60, project="stranger")
    everything = json.loads(brain("log", "--json", cwd=root).stdout)
    assert len(everything) == 3 + 3
    assert all(item["project"] != "ml/stranger" for item in everything
               if item["kind"] == "run")


@pytest.mark.parametrize("target", ["../..", "/", "no/such", "ml/nope", "--limit=0"])
def test_log_hostile_targets(project: Path, brain, target: str) -> None:
    commit_at(project.parent.parent, "first", T0)
    result = brain("log", target, cwd=project.parent.parent)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_commit_before_run_commits_only_the_project(project: Path) -> None:
    root = project.parent.parent
    commit_at(root, "first", T0)
    (project / "run.py").write_text("print('exact')\n")
    (project / ".brain").mkdir()
    (project / ".brain/state").write_text("x\n")
    (root / "projects/other/run.py").write_text("print('not mine')\n")
    sha = commit_before_run(project, "brain run: main")
    assert sha == git(root, "rev-parse", "HEAD")
    assert git(root, "show", "--name-only", "--format=%s", "HEAD").splitlines() == [
        "brain run: main", "", "projects/demand/run.py"]
    assert "M projects/other/run.py" in git(root, "status", "--porcelain")  # left alone
    # Nothing left to commit: HEAD as it is.
    assert commit_before_run(project, "again") == sha
