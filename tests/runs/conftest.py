"""Fixtures for the run store, provenance and `brain runs` tests: records and real git repos."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brain.runs.provenance import host_name
from brain.runs.record import GitState, RunRecord
from brain.runs.store import RunStore, new_run_id

_clock = iter(range(1_000_000))


def record_fields(**overrides: Any) -> dict[str, Any]:
    """The fields of a plausible finished-or-running record; overrides win."""
    fields: dict[str, Any] = {
        "id": new_run_id(),
        "namespace": "default",
        "project": "fit-model",
        "version": "0.1.0",
        "project_path": "/projects/fit-model",
        "entry_point": "fit models",
        "parameters": {"alpha": 0.5, "mode": "fast"},
        "command": "python src/fit.py --alpha 0.5",
        "backend": "venv",
        "env_identity": "sha256:env1",
        "spec_hash": "sha256:spec1",
        "python_version": "3.11.7",
        "host": host_name(),
        "user": "tester",
        "pid": 1,  # init: always alive, so reconcile leaves these alone
        # Strictly increasing start times so "newest first" is well defined.
        "started_at": 1_700_000_000.0 + next(_clock),
        "git": GitState(commit="a" * 40, branch="main", remote=None, dirty=False),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_record() -> Callable[..., RunRecord]:
    """make_record(parameters={...}, status="failed", ...) -> RunRecord (not stored)."""
    return lambda **overrides: RunRecord(**record_fields(**overrides))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A store on a fresh file of its own."""
    with RunStore(tmp_path / "state" / "runs.db") as opened:
        yield opened


@pytest.fixture
def default_store(isolated: Path) -> Iterator[RunStore]:
    """The store the CLI uses (BRAIN_HOME/brain.db of this test)."""
    with RunStore() as opened:
        yield opened


def git(cwd: Path, *args: str) -> str:
    """Run a real git command in `cwd` and return its stdout."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit on `main`."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "fit.py").write_text("print('fit')\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root
