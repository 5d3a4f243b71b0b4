"""`brain launch URL`: fetch at the SHA, validate, set up (reused), run, record the origin."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.store import RunStore
from brain.share.fetch import repos_dir
from brain.share.url import make_link
from tests.conftest import Result
from tests.share.conftest import Remote, git


def test_launch_runs_records_origin_and_reuses_the_environment(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    url = make_link(remote.url, remote.commit, path="projects/hello", entry="main",
                    params={"alpha": "0.7"}).to_url()
    first = brain("launch", "--json", url)
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout)
    assert "alpha is 0.7 mode fast" in first.stderr  # --json: the run's output on stderr
    assert "environment built" in first.stderr
    progress = [line for line in first.stderr.splitlines() if line.startswith("brain: [")]
    assert progress == ["brain: [1/3] fetching the project at its commit",
                        "brain: [2/3] setting up its environment", "brain: [3/3] running it"]
    assert "phase" not in first.stderr  # the hub's event names are not for people
    assert record["status"] == "succeeded"
    assert record["origin"] == url
    assert record["git"]["commit"] == remote.commit
    assert record["git"]["remote"] == remote.url
    with RunStore() as store:
        assert store.get(record["id"]).origin == url  # recorded, not only printed
    venv = Path(record["project_path"]) / ".brain" / "venv"
    built = os.path.realpath(venv)
    stamp_mtime = os.stat(built).st_mtime_ns

    second = brain("launch", url)
    assert second.exit_code == 0, second.output
    assert "alpha is 0.7" in second.stdout
    assert "environment reused" in second.stderr
    assert "setup: fetching" not in second.stderr  # served from the cache, no network
    assert os.path.realpath(venv) == built
    assert os.stat(built).st_mtime_ns == stamp_mtime
    with RunStore() as store:
        runs = store.list(project="hello")
    assert [run.origin for run in runs] == [url, url]


def test_exit_code_of_the_entry_point_passes_through(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    url = make_link(remote.url, remote.commit, path="projects/hello", entry="fail").to_url()
    result = brain("launch", url)
    assert result.exit_code == 3
    assert "about to fail" in result.stderr
    assert "failed (exit 3)" in result.stderr


def test_invalid_parameter_is_refused_before_building(
        brain: Callable[..., Result], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    url = make_link(remote.url, remote.commit, path="projects/hello",
                    params={"alpha": "lots"}).to_url()
    result = brain("launch", url)
    assert result.exit_code == 2
    assert "parameter 'alpha'" in result.stderr
    trees = list(repos_dir().glob("*/trees/*"))
    assert len(trees) == 1 and not (trees[0] / "projects/hello/.brain").exists()


@pytest.mark.parametrize(("mangle", "message"), [
    (lambda url: url.replace("commit=", "commit=-"), "begins with '-'"),
    (lambda url: url.replace("path=projects/hello", "path=../../etc"), "escapes the repository"),
    (lambda url: url + "&p.x=" + "a" * 100_000, "byte limit"),
])
def test_hostile_links_fetch_nothing(brain: Callable[..., Result],
                                     make_remote: Callable[..., Remote],
                                     mangle: Callable[[str], str], message: str) -> None:
    remote = make_remote()
    url = make_link(remote.url, remote.commit, path="projects/hello").to_url()
    result = brain("launch", mangle(url))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not repos_dir().exists() or not any(repos_dir().iterdir())


def test_commit_missing_from_the_remote(brain: Callable[..., Result],
                                        make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    url = make_link(remote.url, "f" * 40, path="projects/hello").to_url()
    result = brain("launch", url)
    assert result.exit_code == 2
    assert f"commit {'f' * 40} is not in {remote.url}" in result.stderr
    assert "was it pushed?" in result.stderr


def test_unreachable_remote_is_an_environment_failure(brain: Callable[..., Result],
                                                      tmp_path: Path) -> None:
    url = make_link((tmp_path / "nothing.git").as_uri(), "a" * 40).to_url()
    result = brain("launch", url)
    assert result.exit_code == 3
    assert "fetching" in result.stderr and "failed" in result.stderr


def test_symlinked_folder_cannot_lead_outside(brain: Callable[..., Result],
                                              make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    (remote.work / "sneaky").symlink_to("/etc")
    git(remote.work, "add", "-A")
    git(remote.work, "commit", "-qm", "link")
    git(remote.work, "push", "-q")
    commit = git(remote.work, "rev-parse", "HEAD")
    result = brain("launch", make_link(remote.url, commit, path="sneaky").to_url())
    assert result.exit_code == 2
    assert "leads outside the repository" in result.stderr


def test_folder_without_a_spec(brain: Callable[..., Result],
                               make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    result = brain("launch", make_link(remote.url, remote.commit, path="projects").to_url())
    assert result.exit_code == 2
    assert "no onebrain.yml in projects" in result.stderr


@pytest.mark.parametrize("text", ["foo", "https://example.com/", "http://hub/launch?repo=x"])
def test_not_a_link(brain: Callable[..., Result], text: str) -> None:
    result = brain("launch", text)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
