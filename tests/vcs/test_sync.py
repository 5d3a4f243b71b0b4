"""`brain sync` against a real bare remote (file://): no changes, local, remote, conflicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workspace.helpers import commit_all, git, spec_text, write_project


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare repository holding one commit of a project on `main`."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", bare.as_uri(), str(seed))
    write_project(seed, "demand", spec_text("demand"))
    (seed / "demand/.gitignore").write_text("")
    commit_all(seed, "first")
    git(seed, "push", "--quiet", "origin", "main")
    return bare


def clone(remote: Path, where: Path) -> Path:
    git(where.parent, "clone", "--quiet", remote.as_uri(), str(where))
    return where


def remote_log(remote: Path) -> list[str]:
    return git(remote, "log", "--format=%s", "main").splitlines()


def test_sync_with_nothing_to_do(remote: Path, tmp_path: Path, brain) -> None:
    work = clone(remote, tmp_path / "work")
    head = git(work, "rev-parse", "HEAD")
    result = brain("sync", cwd=work)
    assert result.exit_code == 0, result.output
    assert "committed" not in result.stdout and "pushed main to origin/main" in result.stdout
    assert git(work, "rev-parse", "HEAD") == head
    assert remote_log(remote) == ["first"]


def test_sync_commits_and_pushes_local_changes(remote: Path, tmp_path: Path, brain) -> None:
    work = clone(remote, tmp_path / "work")
    (work / "demand/run.py").write_text("print('v2')\n")
    (work / "demand/new.py").write_text("x = 1\n")
    (work / "demand/.brain/venv").mkdir(parents=True)  # state: never committed
    (work / "demand/.brain/venv/pyvenv.cfg").write_text("home = /usr\n")
    result = brain("sync", "-m", "try v2", cwd=work, )
    assert result.exit_code == 0, result.output
    assert "committed" in result.stdout and "pushed main to origin/main" in result.stdout
    assert remote_log(remote) == ["try v2", "first"]
    files = git(remote, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert "demand/new.py" in files and not any(".brain" in f for f in files)
    assert git(work, "status", "--porcelain", "--untracked-files=no") == ""


def test_sync_brings_in_remote_changes_and_rebases_local_ones(remote: Path, tmp_path: Path,
                                                              brain) -> None:
    other = clone(remote, tmp_path / "other")
    (other / "demand/README.md").write_text("from a colleague\n")
    commit_all(other, "colleague")
    git(other, "push", "--quiet")
    work = clone(remote, tmp_path / "work")
    git(work, "reset", "--quiet", "--hard", "HEAD")  # (clone is already current; be explicit)
    work2 = clone(remote, tmp_path / "work2")
    git(work2, "reset", "--quiet", "--hard", "HEAD~1")  # behind the remote by one commit
    (work2 / "demand/run.py").write_text("print('mine')\n")
    result = brain("sync", "-m", "mine", cwd=work2)
    assert result.exit_code == 0, result.output
    assert "pulled 1 commit(s) from origin/main" in result.stdout
    assert remote_log(remote) == ["mine", "colleague", "first"]  # rebased: linear history
    assert (work2 / "demand/README.md").read_text() == "from a colleague\n"
    # Only remote changes: a plain fast-forward.
    result = brain("sync", cwd=work)
    assert result.exit_code == 0
    assert (work / "demand/run.py").read_text() == "print('mine')\n"


def test_sync_with_merge_strategy(remote: Path, tmp_path: Path, brain) -> None:
    other = clone(remote, tmp_path / "other")
    (other / "other.txt").write_text("theirs\n")
    commit_all(other, "theirs")
    work = clone(remote, tmp_path / "work")
    git(other, "push", "--quiet")
    (work / "mine.txt").write_text("mine\n")
    result = brain("sync", "--merge", "-m", "mine", cwd=work)
    assert result.exit_code == 0, result.output
    assert len(git(work, "log", "-1", "--format=%P").split()) == 2  # a merge commit
    assert (work / "other.txt").exists() and (work / "mine.txt").exists()


def test_conflict_restores_the_tree_and_says_what_to_do(remote: Path, tmp_path: Path,
                                                       brain) -> None:
    work = clone(remote, tmp_path / "work")
    other = clone(remote, tmp_path / "other")
    (other / "demand/run.py").write_text("print('theirs')\n")
    commit_all(other, "theirs")
    git(other, "push", "--quiet")
    (work / "demand/run.py").write_text("print('mine')\n")
    (work / "demand/notes.txt").write_text("unsaved thoughts\n")
    result = brain("sync", "-m", "mine", cwd=work)
    assert result.exit_code == 3, result.output
    assert "error: your commits and origin/main both changed demand/run.py" in result.stderr
    assert "your work is safe" in result.stderr
    assert "hint: resolve it by hand: `git pull --rebase`" in result.stderr
    # Back as before: on main, our commit on top, our files intact, no rebase half-done.
    assert git(work, "status", "--porcelain") == ""
    assert git(work, "branch", "--show-current") == "main"
    assert git(work, "log", "-1", "--format=%s") == "mine"
    assert (work / "demand/run.py").read_text() == "print('mine')\n"
    assert (work / "demand/notes.txt").read_text() == "unsaved thoughts\n"
    assert not (work / ".git/rebase-merge").exists() and not (work / ".git/rebase-apply").exists()
    assert remote_log(remote) == ["theirs", "first"]  # nothing pushed
    # A second sync hits the same conflict, still without damage.
    again = brain("sync", cwd=work)
    assert again.exit_code == 3 and git(work, "log", "-1", "--format=%s") == "mine"


def test_conflict_in_merge_mode_is_undone_too(remote: Path, tmp_path: Path, brain) -> None:
    work = clone(remote, tmp_path / "work")
    other = clone(remote, tmp_path / "other")
    (other / "demand/run.py").write_text("print('theirs')\n")
    commit_all(other, "theirs")
    git(other, "push", "--quiet")
    (work / "demand/run.py").write_text("print('mine')\n")
    result = brain("sync", "--merge", cwd=work)
    assert result.exit_code == 3
    assert "`git pull --no-rebase`" in result.stderr
    assert not (work / ".git/MERGE_HEAD").exists()
    assert (work / "demand/run.py").read_text() == "print('mine')\n"


def test_sync_without_a_remote_commits_locally(tmp_path: Path, brain) -> None:
    work = tmp_path / "solo"
    write_project(work, ".", spec_text("solo"))
    git(work, "init", "--quiet")
    result = brain("sync", "-m", "start", cwd=work)
    assert result.exit_code == 0, result.output
    assert "no remote is configured" in result.stderr
    assert git(work, "log", "--format=%s") == "start"


def test_sync_pushes_a_new_branch_and_sets_its_upstream(remote: Path, tmp_path: Path,
                                                        brain) -> None:
    work = clone(remote, tmp_path / "work")
    git(work, "switch", "--quiet", "-c", "feature")
    (work / "f.txt").write_text("f\n")
    result = brain("sync", "-m", "feature work", cwd=work)
    assert result.exit_code == 0, result.output
    assert git(remote, "log", "-1", "--format=%s", "feature") == "feature work"
    assert git(work, "rev-parse", "--abbrev-ref", "feature@{upstream}") == "origin/feature"


def test_sync_refuses_a_detached_head_and_a_rebase_in_progress(remote: Path, tmp_path: Path,
                                                               brain) -> None:
    work = clone(remote, tmp_path / "work")
    git(work, "checkout", "--quiet", "--detach")
    result = brain("sync", cwd=work)
    assert result.exit_code == 2 and "HEAD is detached" in result.stderr
    git(work, "switch", "--quiet", "main")
    (work / ".git/rebase-merge").mkdir()
    result = brain("sync", cwd=work)
    assert result.exit_code == 2 and "a rebase is in progress" in result.stderr
    (work / ".git/rebase-merge").rmdir()


def test_sync_outside_git_and_with_an_unreachable_remote(tmp_path: Path, brain) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = brain("sync", cwd=plain)
    assert result.exit_code == 2 and "not inside a git repository" in result.stderr
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet")
    git(work, "remote", "add", "origin", (tmp_path / "missing.git").as_uri())
    (work / "a.txt").write_text("a\n")
    result = brain("sync", "-m", "keep me", cwd=work)
    assert result.exit_code == 3 and "fetching from origin failed" in result.stderr
    assert git(work, "log", "--format=%s") == "keep me"  # committed: nothing lost
    result = brain("sync", "-m", "   ", cwd=work)
    assert result.exit_code == 2 and "commit message is empty" in result.stderr


def test_option_like_messages_are_just_messages(tmp_path: Path, brain) -> None:
    work = tmp_path / "solo"
    work.mkdir()
    git(work, "init", "--quiet")
    result = brain("sync", cwd=work)
    assert result.exit_code == 2 and "no commits and no changes yet" in result.stderr
    (work / "a.txt").write_text("a\n")
    result = brain("sync", "-m", "--amend", cwd=work)
    assert result.exit_code == 0, result.output
    assert git(work, "log", "--format=%s") == "--amend"


def test_a_clone_of_an_empty_remote_takes_what_was_pushed_since(tmp_path: Path, brain) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    first = clone(bare, tmp_path / "first")
    late = clone(bare, tmp_path / "late")
    (first / "a.txt").write_text("a\n")
    assert brain("sync", "-m", "a", cwd=first).exit_code == 0
    result = brain("sync", cwd=late)
    assert result.exit_code == 0, result.output
    assert "pulled 1 commit(s) from origin/main" in result.stdout
    assert (late / "a.txt").read_text() == "a\n"
    assert git(late, "rev-parse", "--abbrev-ref", "main@{upstream}") == "origin/main"
