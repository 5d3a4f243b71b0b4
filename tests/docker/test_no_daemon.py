"""Without a Docker daemon (or without a docker command), a docker build is one clear line,
naming what to install or start, and exit 3; with either builder. No daemon needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import spec_text

from brain.envs.buildkit import buildkit_builder

HELLO = "  hello:\n    type: python\n    script: src/hello.py\n"


@pytest.fixture(autouse=True)
def fresh_probe() -> Iterator[None]:
    """Which docker CLI builds is decided once per process: decide again under this PATH."""
    buildkit_builder.cache_clear()
    yield
    buildkit_builder.cache_clear()


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project({"onebrain.yml": spec_text("nodaemon", HELLO),
                         "src/hello.py": "print('hello')\n"})


@pytest.mark.parametrize("path", ["as it is", "no docker command"])
def test_no_daemon_is_one_line_and_exit_3(brain: Callable[..., Any], project: Path,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         path: str) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-daemon.sock")
    if path == "no docker command":
        empty = tmp_path / "bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
        assert buildkit_builder() is None
    for command in (("build", "--docker", str(project)),
                    ("setup-deps", "--backend", "docker", str(project))):
        result = brain(*command)
        assert result.exit_code == 3, result.output
        first, *rest = result.output.strip().splitlines()
        assert first.startswith("error: cannot reach the Docker daemon"), result.output
        assert "Traceback" not in result.output
        assert any("scripts/docker-setup" in line and "docker.io" in line for line in rest)
