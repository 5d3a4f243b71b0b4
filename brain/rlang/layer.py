"""The project's R library as a layer over an environment backend (the venv one): `ensure`
builds both, `invocation` puts the project library first on R's library path, and the
identity covers the R packages too (unchanged for a project without `env.r`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult, Environment, Invocation, Progress
    from brain.spec.loader import Project


class WithRLibrary:
    """`inner`, plus the R library of its project."""

    def __init__(self, inner: Environment, *, lock_command: str = "brain setup-deps",
                 lock_timeout: float | None = None) -> None:
        self.inner = inner
        self.project: Project = inner.project
        self.name = inner.name
        self._lock = (lock_command, lock_timeout)

    def identity(self) -> str:
        """The inner identity, combined with the R inputs' when the spec declares env.r."""
        from brain.rlang.library import r_inputs

        inputs = r_inputs(self.project.spec, self.project.root)
        inner = self.inner.identity()
        return inner if inputs is None else combined_identity(inner, inputs.identity())

    def is_ready(self) -> bool:
        """Both the inner environment and the R library match the spec."""
        from brain.rlang.library import current_identity, r_inputs

        if not self.inner.is_ready():
            return False
        inputs = r_inputs(self.project.spec, self.project.root)
        return inputs is None or current_identity(self.project.root) == inputs.identity()

    def ensure(self, progress: Progress | None = None) -> EnsureResult:
        """Ensure the inner environment, then the R library."""
        result = self.inner.ensure(progress)
        return ensure_r_part(self.project.root, self.project, result, progress, *self._lock)

    def invocation(self, argv: Sequence[str], variables: Mapping[str, str]) -> Invocation:
        """The inner invocation with R_LIBS / R_LIBS_USER naming the project library."""
        import os

        from brain.rlang.plans import library_dir

        invocation = self.inner.invocation(argv, variables)
        if os.path.lexists(library_dir(self.project.root)):  # else no library to name
            from brain.rlang.library import run_variables

            invocation.env.update(run_variables(self.project.root))
        return invocation


def ensure_r_part(root: Path, project: Project | None, result: EnsureResult,
                  progress: Progress | None, lock_command: str = "brain setup-deps",
                  lock_timeout: float | None = None) -> EnsureResult:
    """`result` of the inner environment, with the R library ensured (loading the spec only
    when the stamp cannot answer) and its identity folded in."""
    from brain.rlang.plans import declared, plan_key

    key = plan_key(root)  # hashes the input files: once
    if declared(root, key) is False:
        return result  # a Python-only project: brain.rlang.library is not even loaded
    from brain.rlang.library import current_identity, ensure_library, quick_state

    state = quick_state(root, key)
    if state == "none":
        return result
    if state == "ready":
        identity = current_identity(root)
        if identity is not None:
            return result._replace(identity=combined_identity(result.identity, identity))
    if project is None:
        from brain.spec.loader import load_project

        project = load_project(root)
    built = ensure_library(root, project.spec, progress=progress, lock_command=lock_command,
                           lock_timeout=lock_timeout)
    if built is None:
        return result
    return result._replace(identity=combined_identity(result.identity, built.identity),
                   changed=result.changed or built.changed)


def quick_r_part(root: Path, result: EnsureResult | None) -> EnsureResult | None:
    """`result` when the R side can also answer from its stamp, else None."""
    if result is None:
        return None
    from brain.rlang.plans import declared, plan_key

    key = plan_key(root)  # hashes the input files: once
    if declared(root, key) is False:
        return result  # a Python-only project: brain.rlang.library is not even loaded
    from brain.rlang.library import current_identity, quick_state

    state = quick_state(root, key)
    if state == "none":
        return result
    identity = current_identity(root) if state == "ready" else None
    if identity is None:
        return None
    return result._replace(identity=combined_identity(result.identity, identity))


def combined_identity(inner: str, r_identity: str) -> str:
    """One identity for an environment and its R library."""
    from hashlib import sha256

    return sha256(f"{inner}\0r\0{r_identity}".encode()).hexdigest()
