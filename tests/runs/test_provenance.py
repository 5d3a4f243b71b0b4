"""Git provenance on real repositories; host, user and process liveness."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from brain.runs.provenance import git_state, host_name, process_alive, user_name
from brain.runs.record import GitState
from brain.vcs.urls import strip_credentials

from .conftest import git


def test_outside_a_repository_everything_is_none(tmp_path):
    assert git_state(tmp_path) == GitState(None, None, None, None)
    assert git_state(tmp_path / "missing" / "folder") == GitState(None, None, None, None)


def test_outside_a_repository_no_git_process_is_started(tmp_path, monkeypatch):
    import brain.vcs.gateway

    if any((folder / ".git").exists() for folder in tmp_path.resolve().parents):
        pytest.skip("the temporary folder is inside a git repository here")

    def no_git(*args, **kwargs):
        raise AssertionError(f"git was asked: {args}")

    monkeypatch.setattr(brain.vcs.gateway, "quietly", no_git)
    assert git_state(tmp_path) == GitState(None, None, None, None)


def test_git_dir_in_the_environment_is_still_asked(repo, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert git_state(elsewhere).commit == git(repo, "rev-parse", "HEAD")


def test_a_link_into_a_repository_is_followed(repo, tmp_path):
    (repo / "src").mkdir()
    link = tmp_path / "outside" / "link"
    link.parent.mkdir()
    link.symlink_to(repo / "src")
    assert git_state(link).commit == git(repo, "rev-parse", "HEAD")


def test_clean_repository(repo):
    state = git_state(repo)
    assert state.commit == git(repo, "rev-parse", "HEAD") and len(state.commit) == 40
    assert (state.branch, state.remote, state.dirty) == ("main", None, False)


def test_from_a_subfolder_and_a_file(repo):
    (repo / "src").mkdir()
    (repo / "src" / "keep.py").write_text("")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "src")
    head = git(repo, "rev-parse", "HEAD")
    assert git_state(repo / "src").commit == head
    assert git_state(repo / "src" / "keep.py").commit == head


def test_untracked_file_makes_it_dirty(repo):
    (repo / "new.csv").write_text("a,b\n")
    assert git_state(repo).dirty is True


def test_modified_and_staged_files_make_it_dirty(repo):
    (repo / "fit.py").write_text("print('changed')\n")
    assert git_state(repo).dirty is True
    git(repo, "add", "fit.py")
    assert git_state(repo).dirty is True
    git(repo, "commit", "-q", "-m", "second")
    assert git_state(repo).dirty is False


def test_ignored_files_do_not_count(repo):
    (repo / ".gitignore").write_text(".brain/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "ignore")
    (repo / ".brain").mkdir()
    (repo / ".brain" / "log.txt").write_text("x")
    assert git_state(repo).dirty is False


def test_a_brain_folder_being_made_is_not_a_change(repo):
    # Setup makes `.brain` beside the project's files and renames it into place while the
    # run's provenance is read: its half-written files are not code (a CI race once).
    for folder in (repo, repo / "src"):
        staging = folder / ".brain-new-k2x9"
        staging.mkdir(parents=True)
        (staging / ".gitignore").write_text("")
    assert git_state(repo).dirty is False
    assert git_state(repo / "src").dirty is False
    (repo / "src" / "new.py").write_text("x = 1\n")
    assert git_state(repo).dirty is True  # a real change beside it still counts


def test_detached_head(repo):
    first = git(repo, "rev-parse", "HEAD")
    (repo / "fit.py").write_text("v2\n")
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "checkout", "-q", "--detach", first)
    state = git_state(repo)
    assert (state.commit, state.branch, state.dirty) == (first, None, False)


def test_repository_without_commits(tmp_path):
    git(tmp_path, "init", "-q")
    assert git_state(tmp_path) == GitState(commit=None, branch="main", remote=None, dirty=False)
    (tmp_path / "a.py").write_text("")
    assert git_state(tmp_path).dirty is True


def test_origin_remote_without_credentials(repo):
    git(repo, "remote", "add", "origin", "https://jane:s3cret-token@example.com/team/x.git")
    state = git_state(repo)
    assert state.remote == "https://example.com/team/x.git"
    assert "s3cret" not in repr(state)


def test_tracking_remote_wins_over_origin(repo):
    git(repo, "remote", "add", "origin", "git@example.com:me/x.git")
    git(repo, "remote", "add", "upstream", "https://example.com/team/x.git")
    assert git_state(repo).remote == "git@example.com:me/x.git"
    git(repo, "config", "branch.main.remote", "upstream")
    git(repo, "config", "branch.main.merge", "refs/heads/main")
    assert git_state(repo).remote == "https://example.com/team/x.git"


def test_only_a_non_origin_untracked_remote_is_not_guessed(repo):
    git(repo, "remote", "add", "fork", "https://example.com/fork.git")
    assert git_state(repo).remote is None


def test_strip_credentials_keeps_ssh_users():
    assert strip_credentials("https://u:p@h/x.git") == "https://h/x.git"
    assert strip_credentials("HTTP://token@h/x") == "HTTP://h/x"
    assert strip_credentials("ssh://git@h/x.git") == "ssh://git@h/x.git"
    assert strip_credentials("git@h:x.git") == "git@h:x.git"


def test_git_state_is_fast(repo):
    git_state(repo)
    started = time.perf_counter()
    for _ in range(5):
        git_state(repo)
    # Generous bound for a loaded CI machine; about 8 ms each when idle.
    assert (time.perf_counter() - started) / 5 < 0.5


def test_host_and_user():
    assert host_name() and "\n" not in host_name()
    assert user_name()


def test_user_name_follows_getpass(monkeypatch):
    import getpass

    assert user_name() == getpass.getuser()
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(variable, raising=False)
    assert user_name() == getpass.getuser()  # the password database's name for the uid
    monkeypatch.setenv("USER", "someone")
    assert user_name() == getpass.getuser() == "someone"


def test_process_alive_for_live_dead_zombie_and_recycled_processes():
    now = time.time()
    assert process_alive(os.getpid(), now)
    assert not process_alive(os.getpid(), now - 3600)  # started after the "run": recycled
    assert not process_alive(0, now) and not process_alive(-5, now)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # exited but not reaped: a zombie
        with open(f"/proc/{child.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.02)
    assert not process_alive(child.pid, now)
    child.wait()
    assert not process_alive(child.pid, now)
