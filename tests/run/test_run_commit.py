"""`brain run --commit`: the code is committed first, so the run's recorded state is exact."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout.strip()


SPEC = """
name: committed
version: 0.1.0
entry_points:
  main:
    type: bash
    command: echo hello
"""


def test_run_commit_records_a_clean_exact_commit(brain, make_project):
    root = make_project({"onebrain.yml": SPEC, ".gitignore": ".brain/\n"})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "first")
    (root / "notes.txt").write_text("uncommitted work\n")

    result = brain("run", str(root), "-e", "main", "--commit", "--json")

    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    head = _git(root, "rev-parse", "HEAD")
    assert record["git"]["commit"] == head
    assert record["git"]["dirty"] is False
    assert "notes.txt" in _git(root, "show", "--name-only", "--format=", "HEAD")


def test_run_commit_outside_git_is_a_clear_error(brain, make_project):
    root = make_project({"onebrain.yml": SPEC})

    result = brain("run", str(root), "-e", "main", "--commit")

    assert result.exit_code == 2
    assert "git" in result.stderr.lower()
    assert "Traceback" not in result.output
