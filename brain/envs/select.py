"""Choosing an environment backend by name, and the fast path of `brain setup-deps`.

Backends are registered by import path, so a third backend is a new module and one line
here, and choosing one imports nothing else. A backend class takes `(project)` and,
optionally, `options: EnvironmentOptions` as a keyword; it may offer a classmethod
`quick_result(root, options) -> EnsureResult | None` that answers "nothing to do" without
loading the spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput
from brain.paths import SPEC_FILENAMES, find_spec_file

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult, Environment, Progress
    from brain.spec.loader import Project

BACKENDS: dict[str, str] = {
    "venv": "brain.envs.venv:VenvEnvironment",
    "docker": "brain.envs.docker:DockerEnvironment",
}


@dataclass(frozen=True)
class EnvironmentOptions:
    """How to build an environment (each backend uses what applies to it)."""

    installer: str = "uv"  # venv: "uv", or "pip" for virtualenv + pip
    frozen: bool = False  # install exactly onebrain.lock; fail when it is missing or stale
    lock_timeout: float | None = None  # seconds to wait for a busy project (None: default)
    command: str = "brain setup-deps"  # named in the lock, for whoever waits on it


def backend_class(backend: str) -> Any:
    """The class implementing `backend`; InvalidInput naming the known ones."""
    target = BACKENDS.get(backend)
    if target is None:
        raise InvalidInput(f"unknown environment backend {backend!r}",
                           hint="choose one of: " + ", ".join(BACKENDS))
    module_name, attribute = target.split(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise InvalidInput(f"the {backend} backend is not available in this version of brain",
                           hint="use --backend venv") from None
    return getattr(module, attribute)


def environment_for(project: Project, backend: str = "venv", *,
                    options: EnvironmentOptions | None = None) -> Environment:
    """The `backend` environment of `project` (options go to backends that take them)."""
    import inspect

    cls = backend_class(backend)
    if "options" in inspect.signature(cls).parameters:
        environment: Environment = cls(project, options=options or EnvironmentOptions())
    else:
        environment = cls(project)
    return environment


def ensure_environment(target: Path, *, backend: str = "venv",
                       options: EnvironmentOptions | None = None,
                       progress: Progress | None = None) -> EnsureResult:
    """Set up the environment of the project at `target` (a folder or a spec file).

    Nothing changed since the last build: answered from the stamp. Input files seen before
    (after `brain clean`, in a fresh clone): built from the cached plan. Either way the spec
    is not loaded again, which keeps pydantic out of the fast paths.
    """
    options = options or EnvironmentOptions()
    cls = backend_class(backend)
    quick = getattr(cls, "quick_result", None)
    root = _quick_root(target)
    planned = getattr(cls, "ensure_from_plan", None)
    if root is not None:
        result: EnsureResult | None = quick(root, options) if quick is not None else None
        if result is None and planned is not None:
            result = planned(root, options, progress)
        if result is not None:
            return result
    from brain.spec.loader import load_project

    return environment_for(load_project(target), backend, options=options).ensure(progress)


def _quick_root(target: Path) -> Path | None:
    if target.is_dir():
        return target.resolve() if find_spec_file(target) is not None else None
    if target.name in SPEC_FILENAMES and target.is_file():
        return target.resolve().parent
    return None
