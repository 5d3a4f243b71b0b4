"""The hub's CI JSON API against a real `brain hub` process on 127.0.0.1, reading statuses
that a real `brain ci run --record` wrote."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.ci.conftest import write
from tests.share.conftest import Hub, launch_python, start_hub  # noqa: F401 (fixtures)
from tests.workspace.helpers import commit_all, git


@pytest.fixture
def hub(request: pytest.FixtureRequest) -> str:
    """A real hub (the hub tests' `start_hub`), stopped by its pid afterwards."""
    start: Callable[..., Hub] = request.getfixturevalue("start_hub")
    return start().url


def test_the_hub_lists_each_projects_commits_with_their_status(tmp_path: Path, hub: str
                                                               ) -> None:
    root = tmp_path / "one"
    root.mkdir()
    git(root, "init", "--quiet", "-b", "main")
    write(root, ".gitignore", ".brain/\n")
    write(root, "onebrain.yml", "name: solo\nversion: 0.1.0\nentry_points:\n"
          "  test:\n    type: bash\n    command: exit 0\n")
    first = commit_all(root, "solo")
    args = [sys.executable, "-m", "brain", "ci", "run", "--record", "--branch", "feature"]
    assert subprocess.run(args, cwd=root, capture_output=True, timeout=300).returncode == 0
    write(root, "onebrain.yml", "name: solo\nversion: 0.1.0\nentry_points:\n"
          "  test:\n    type: bash\n    command: exit 4\n")
    second = commit_all(root, "break it")
    assert subprocess.run(args, cwd=root, capture_output=True, timeout=300).returncode == 1

    with httpx.Client(base_url=hub, timeout=30) as client:
        listing = client.get("/api/ci/projects").json()["projects"]
        commits = listing["default/solo"]
        assert [c["commit"] for c in commits] == [second, first]  # newest first
        assert [c["status"] for c in commits] == ["failed", "passed"]
        assert {s["step"] for s in commits[0]["steps"]} == {"validate", "setup", "test:test"}
        one = client.get(f"/api/ci/commits/{first}")
        assert one.status_code == 200 and one.json()["status"] == "passed"
        assert client.get(f"/api/ci/commits/{'c' * 40}").status_code == 404
        assert client.get("/api/ci/commits/..%2F..%2Fetc%2Fpasswd").status_code in (400, 404)
        assert client.get("/api/ci/commits/HEAD").status_code == 400
