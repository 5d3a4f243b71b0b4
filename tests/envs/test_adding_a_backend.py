"""Adding a backend is one object implementing `Backend` and its registration: a toy
backend that runs entry points with brain's own interpreter, registered in this process,
runs a real pipeline step, is recorded under its name, and is asked the right questions."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from brain.envs.base import EnsureResult, Environment, Invocation, Progress
from brain.envs.select import EnvironmentOptions, backend, backend_names, register, unregister
from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.spec.loader import Project


class HostEnvironment:
    """No isolation at all: `python` is the interpreter running brain."""

    name = "host"

    def __init__(self, project: Project) -> None:
        self.project = project

    def identity(self) -> str:
        return f"host-{sys.version_info[0]}.{sys.version_info[1]}"

    def is_ready(self) -> bool:
        return True

    def ensure(self, progress: Progress | None = None) -> EnsureResult:
        return EnsureResult(self.identity(), False, sys.prefix, 0.0)

    def invocation(self, argv: Sequence[str], variables: Mapping[str, str]) -> Invocation:
        head = [sys.executable] if argv and argv[0] == "python" else [argv[0]]
        return Invocation([*head, *argv[1:]], dict(variables))


class HostBackend:
    name = "host"
    keeps_run_files = True

    def __init__(self) -> None:
        self.asked: list[str] = []

    def environment(self, project: Project, options: EnvironmentOptions) -> Environment:
        self.asked.append("environment")
        return HostEnvironment(project)

    def quick_result(self, root: Path, options: EnvironmentOptions) -> EnsureResult | None:
        self.asked.append("quick_result")
        return None

    def ensure_from_plan(self, root: Path, options: EnvironmentOptions,
                         progress: Progress | None) -> EnsureResult | None:
        return None

    def python_version(self, environment: Environment) -> str | None:
        return ".".join(map(str, sys.version_info[:3]))


@pytest.fixture
def host() -> Iterator[HostBackend]:
    added = HostBackend()
    register(added)
    yield added
    unregister("host")


def test_registered_and_unknown_backends(host: HostBackend) -> None:
    assert backend("host") is host and "host" in backend_names()
    unregister("host")
    with pytest.raises(InvalidInput, match="unknown environment backend 'host'"):
        backend("host")
    register(host)


def test_a_registered_backend_runs_a_step(host: HostBackend,
                                          make_project: Callable[..., Path]) -> None:
    from brain.runs.pipeline import plan_pipeline, run_pipeline

    root = make_project({
        "onebrain.yml": "name: hosted\nversion: 0.1.0\nentry_points:\n  main:\n"
                        "    type: python\n    script: main.py\n    outputs: [out.txt]\n",
        "main.py": "import sys\nopen('out.txt', 'w').write(sys.executable)\n",
    })
    result = run_pipeline(plan_pipeline(root_project(root), "main", {}), backend="host")
    assert result.exit_code == 0
    record = result.target.record
    assert record is not None and record.backend == "host"
    assert record.python_version == ".".join(map(str, sys.version_info[:3]))
    assert (root / "out.txt").read_text() == sys.executable
    assert "environment" in host.asked
    again = run_pipeline(plan_pipeline(root_project(root), "main", {}), backend="host",
                         setup=False)
    assert again.target.cached  # the run cache keys on the backend's identity
    assert "quick_result" in host.asked


def root_project(root: Path) -> Project:
    from brain.spec.loader import load_project

    return load_project(root)
