"""Git identity, handled one way: brain commits (generate, sync, run --commit) only as the
user git knows, and says how to set it when git knows nobody; a commit git refuses (a hook)
shows git's whole message and leaves nothing staged."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result
from tests.workspace.helpers import git

Brain = Callable[..., Result]
SPEC = "name: ident\nversion: 0.1.0\nentry_points:\n  main:\n    type: bash\n    command: echo hi\n"


@pytest.fixture
def nobody(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where git knows no user (an empty HOME and global config)."""
    empty = isolated / "empty-gitconfig"
    empty.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)


def _repository(root: Path) -> Path:
    root.mkdir()
    (root / "onebrain.yml").write_text(SPEC)
    (root / ".gitignore").write_text(".brain/\n")
    git(root, "init", "--quiet")
    git(root, "add", "-A")
    git(root, "-c", "user.name=Seed", "-c", "user.email=seed@example.com",
        "commit", "--quiet", "-m", "first")
    (root / "work.txt").write_text("uncommitted\n")
    return root


def test_generate_commits_as_the_user_git_knows(brain: Brain, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "mine", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert git(tmp_path / "mine", "log", "--format=%an <%ae>") == "Test User <test@example.com>"


@pytest.mark.usefixtures("nobody")
def test_generate_without_an_identity_says_how_to_set_it(brain: Brain, tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "mine", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mine/onebrain.yml").is_file()
    assert not (tmp_path / "mine/.git").exists()  # no commit under a made-up name
    assert "git does not know who you are" in result.stderr
    assert 'git config --global user.name "Your Name"' in result.stderr


@pytest.mark.usefixtures("nobody")
@pytest.mark.parametrize("command", [("sync",), ("run", "-e", "main", "--commit")])
def test_sync_and_run_commit_without_an_identity_stage_nothing(
        brain: Brain, tmp_path: Path, command: tuple[str, ...]) -> None:
    root = _repository(tmp_path / "repo")
    result = brain(*command, cwd=root)
    assert result.exit_code == 3, result.output
    assert "git does not know who you are" in result.stderr
    assert "git config --global user.email" in result.stderr
    assert git(root, "diff", "--cached", "--name-only") == ""
    assert git(root, "rev-list", "--count", "HEAD") == "1"


@pytest.mark.parametrize("command", [("sync",), ("run", "-e", "main", "--commit")])
def test_a_refused_commit_shows_gits_whole_message_and_unstages(
        brain: Brain, tmp_path: Path, command: tuple[str, ...]) -> None:
    root = _repository(tmp_path / "repo")
    hook = root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'line one of the policy' >&2\necho 'line two' >&2\n"
                    "echo 'line three' >&2\necho 'line four: no commits today' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    result = brain(*command, cwd=root)
    assert result.exit_code == 3, result.output
    for line in ("line one of the policy", "line two", "line three",
                 "line four: no commits today"):
        assert line in result.stderr
    assert "a hook?" not in result.stderr
    assert git(root, "diff", "--cached", "--name-only") == ""
    assert git(root, "status", "--porcelain") == "?? work.txt"


@pytest.mark.usefixtures("nobody")
def test_doctor_warns_when_git_knows_nobody(brain: Brain, tmp_path: Path) -> None:
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    assert checks["git"]["status"] == "warn"
    assert "does not know who you are" in checks["git"]["detail"]
    assert "user.email" in checks["git"]["hint"]
