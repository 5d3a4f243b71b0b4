"""The docker backend: an image with the code baked in, each run a fresh container
(brain.envs.docker)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult, Environment, Progress
    from brain.envs.select import Backend, EnvironmentOptions
    from brain.spec.loader import Project


class DockerBackend:
    """The container is removed when a run ends: files it writes are not kept."""

    name = "docker"
    keeps_run_files = False

    def environment(self, project: Project, options: EnvironmentOptions) -> Environment:
        """A DockerEnvironment labelled with the caller's revision."""
        from brain.envs.docker import DockerEnvironment

        return DockerEnvironment(project, options=options, revision=options.revision)

    def quick_result(self, root: Path, options: EnvironmentOptions) -> EnsureResult | None:
        """Never: whether the image exists is the daemon's to say."""
        return None

    def ensure_from_plan(self, root: Path, options: EnvironmentOptions,
                         progress: Progress | None) -> EnsureResult | None:
        """Never: the build context needs the loaded spec."""
        return None

    def python_version(self, environment: Environment) -> str | None:
        """Not recorded for images."""
        return None


DOCKER: Backend = DockerBackend()
