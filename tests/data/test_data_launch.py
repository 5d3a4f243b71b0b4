"""A launched project is someone else's: its dataset remotes open only where the follower
allows them (`--allow-data`), never by default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from brain.data.launch_policy import check_remote_allowed, launched
from brain.errors import InvalidInput
from brain.share.url import make_link
from tests.conftest import Result

from .conftest import git


def _published(brain: Callable[..., Result], data_project: Callable[..., Path]) -> str:
    """A committed project whose input dataset is only on its folder remote: its link."""
    root = data_project()
    assert brain("data", "add", "data/train.csv", cwd=root).exit_code == 0
    assert brain("data", "push", cwd=root).exit_code == 0
    git("add", "-A", cwd=root)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "data",
        cwd=root)
    commit = git("rev-parse", "HEAD", cwd=root).strip()
    return make_link(root.as_uri(), commit, entry="count").to_url()


def test_a_launch_reaches_no_data_remote_by_default(
        brain: Callable[..., Result], data_project: Callable[..., Path], tmp_path: Path) -> None:
    url = _published(brain, data_project)
    store = tmp_path / "remote-store"
    before = sorted(path.stat().st_atime_ns for path in store.rglob("*") if path.is_file())
    result = brain("launch", url)
    assert result.exit_code == 2, result.output
    assert "dataset remote 'storage'" in result.stderr
    assert "not allowed for a launched project" in result.stderr
    assert "--allow-data" in result.stderr
    assert "rows" not in result.stdout  # the entry point never ran
    after = sorted(path.stat().st_atime_ns for path in store.rglob("*") if path.is_file())
    assert before == after  # nothing on the remote was read


def test_an_allowed_remote_gives_the_launch_its_data(
        brain: Callable[..., Result], data_project: Callable[..., Path], tmp_path: Path) -> None:
    url = _published(brain, data_project)
    result = brain("launch", url, "--allow-data", f"{tmp_path}/remote-*")
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.stdout + result.stderr


@pytest.mark.parametrize("url", ["s3://other/x", "ssh://evil.example.com/data", "/etc",
                                 "s3://bucket-evil/x", ""])
def test_patterns_match_the_whole_url(url: str) -> None:
    with launched(("s3://bucket/*",)), pytest.raises(InvalidInput):
        check_remote_allowed("r", url)
    check_remote_allowed("r", url)  # outside a launch: the user's own project


def test_the_rule_ends_with_the_launch() -> None:
    with launched(()):
        with pytest.raises(InvalidInput):
            check_remote_allowed("r", "s3://bucket/x")
        with launched(("s3://bucket/*",)):
            check_remote_allowed("r", "s3://bucket/x")
    check_remote_allowed("r", "s3://bucket/x")
