"""Fixtures for the run store, provenance and `brain runs` tests: records and real git repos.

Every test here runs against both stores: SQLite (a file of its own) and a real PostgreSQL
(a database of its own on the session's server, tests/postgres.py), chosen by the autouse
`store_backend` fixture; tests marked `sqlite_only` (the file itself: WAL, legacy layouts,
damaged files, SQLite locking) run on SQLite alone."""

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("store_backend",
                             ["sqlite"] if only_sqlite else ["sqlite", "postgresql"],
                             indirect=True)


@pytest.fixture(autouse=True)
def store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                  isolated: Path) -> str:
    """"sqlite" (the default store) or "postgresql" (BRAIN_STORE names a fresh database)."""
    kind: str = request.param
    if kind == "postgresql":
        monkeypatch.setenv("BRAIN_STORE", request.getfixturevalue("postgres_url"))
    return kind


@pytest.fixture
def store(tmp_path: Path, store_backend: str) -> Iterator[RunStore]:
    """A store of its own: a fresh file, or a fresh PostgreSQL database."""
    where = tmp_path / "state" / "runs.db" if store_backend == "sqlite" else None
    with RunStore(where) as opened:
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
