"""Helpers shared by the Docker backend tests (a module, not a package: a `tests/docker`
package would shadow the docker SDK)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

NAMESPACE = "brain-test"
BASE_IMAGE = os.environ.get("BRAIN_DOCKER_BASE_IMAGE") or "brain-base:bookworm"


def spec_text(name: str, entry_points: str, extra: str = "") -> str:
    """An onebrain.yml for a test project in the test namespace."""
    return (f"name: {name}\nversion: 0.1.0\nnamespace: {NAMESPACE}\n{extra}"
            f"entry_points:\n{entry_points}")


def git(root: Path, *args: str) -> str:
    """Run git in `root` (tests may use subprocess directly; brain code may not)."""
    done = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True)
    return done.stdout.strip()


def containers_of(client: Any, project_name: str) -> list[Any]:
    """Every container (running or not) brain started for `project_name`."""
    return list(client.containers.list(
        all=True, filters={"label": f"brain.project={NAMESPACE}/{project_name}"}))


def environment_of(root: Path) -> Any:
    """The Docker environment of the project at `root`, labelled with its git revision (as
    `brain build --docker` and `brain run --backend docker` label theirs)."""
    from brain.envs.docker import DockerEnvironment
    from brain.runs.provenance import source_revision
    from brain.spec.loader import load_project

    return DockerEnvironment(load_project(root), revision=lambda: source_revision(root))
