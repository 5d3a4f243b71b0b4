"""The venv backend: a uv-built virtual environment inside the project (brain.envs.venv),
with the project's R library (brain.rlang) as a layer when the spec declares `env.r`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult, Environment, Progress
    from brain.envs.select import Backend, EnvironmentOptions
    from brain.spec.loader import Project


class VenvBackend:
    """Runs happen in the project folder itself, so what they write stays there."""

    name = "venv"
    keeps_run_files = True

    def environment(self, project: Project, options: EnvironmentOptions) -> Environment:
        """A VenvEnvironment, with the project's R library."""
        from brain.envs.venv import VenvEnvironment
        from brain.rlang.layer import WithRLibrary

        return WithRLibrary(VenvEnvironment(project, options=options),
                            lock_command=options.command, lock_timeout=options.lock_timeout)

    def quick_result(self, root: Path, options: EnvironmentOptions) -> EnsureResult | None:
        """From the stamps, when no input file changed."""
        from brain.envs.venv import VenvEnvironment
        from brain.rlang.layer import quick_r_part

        return quick_r_part(root, VenvEnvironment.quick_result(root, options))

    def ensure_from_plan(self, root: Path, options: EnvironmentOptions,
                         progress: Progress | None) -> EnsureResult | None:
        """From the cached plan of these input files."""
        from brain.envs.venv import VenvEnvironment
        from brain.rlang.layer import ensure_r_part

        result = VenvEnvironment.ensure_from_plan(root, options, progress)
        if result is None:
            return None
        return ensure_r_part(root, None, result, progress, options.command, options.lock_timeout)

    def python_version(self, environment: Environment) -> str | None:
        """The version written in the venv's stamp."""
        from brain.envs.venv import VenvEnvironment

        environment = getattr(environment, "inner", environment)
        if not isinstance(environment, VenvEnvironment):
            return None
        stamp = environment.stamp()
        return stamp.python if stamp is not None and stamp.python else None


VENV: Backend = VenvBackend()
