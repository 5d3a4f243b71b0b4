"""Environment backends as plug-ins: the declared interface, the registry, the fast path of
`brain setup-deps`.

A backend is an object implementing `Backend`: it makes the Environment of a loaded
project, may answer "nothing to do" from a stamp without loading the spec, and says what
it can do for an entry point (keep the files a run writes). Built-in backends are named
here by import path and loaded on first use, so choosing one imports nothing else; a third
backend is one new module and one line in BUILTIN (or a `register` call).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from brain.errors import InvalidInput
from brain.paths import SPEC_FILENAMES, find_spec_file

if TYPE_CHECKING:
    from brain.envs.base import EnsureResult, Environment, Progress, RevisionSource
    from brain.spec.loader import Project

DEFAULT_BACKEND = "venv"  # what `--backend` defaults to, and what launches use
BUILTIN: dict[str, str] = {
    "venv": "brain.envs.venv_backend:VENV",
    "docker": "brain.envs.docker_backend:DOCKER",
    "ray": "brain.envs.ray_backend:RAY",
}
_registered: dict[str, Backend] = {}


class EnvironmentOptions(NamedTuple):
    """How to build an environment (each backend uses what applies to it)."""

    installer: str = "uv"  # venv: "uv", or "pip" for virtualenv + pip
    frozen: bool = False  # install exactly onebrain.lock; fail when it is missing or stale
    lock_timeout: float | None = None  # seconds to wait for a busy project (None: default)
    command: str = "brain setup-deps"  # named in the lock, for whoever waits on it
    # The project's commit and dirty flag, for backends that label what they build (docker);
    # the caller reads them (backends know nothing of git or of runs).
    revision: RevisionSource | None = None


class Backend(Protocol):
    """Everything the core asks of an environment backend."""

    @property
    def name(self) -> str: ...

    @property
    def keeps_run_files(self) -> bool:
        """True when files a run writes into the project folder are there after it ends."""
        ...

    def environment(self, project: Project, options: EnvironmentOptions) -> Environment:
        """The environment of a loaded `project` (not built by this call)."""
        ...

    def quick_result(self, root: Path, options: EnvironmentOptions) -> EnsureResult | None:
        """"Up to date" answered from a stamp without loading the spec; None when unsure."""
        ...

    def ensure_from_plan(self, root: Path, options: EnvironmentOptions,
                         progress: Progress | None) -> EnsureResult | None:
        """Build from a cached plan of these exact input files; None when there is none."""
        ...

    def python_version(self, environment: Environment) -> str | None:
        """The Python version `environment` holds, when the backend records it."""
        ...


def backend(name: str) -> Backend:
    """The backend called `name`; InvalidInput naming the known ones."""
    found = _registered.get(name)
    if found is not None:
        return found
    target = BUILTIN.get(name)
    if target is None:
        raise InvalidInput(f"unknown environment backend {name!r}",
                           hint="choose one of: " + ", ".join(backend_names()))
    module_name, attribute = target.split(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        raise InvalidInput(f"the {name} backend is not available in this version of brain",
                           hint="use --backend venv") from None
    loaded: Backend = getattr(module, attribute)
    _registered[name] = loaded
    return loaded


def backend_names() -> tuple[str, ...]:
    """Every backend brain knows, built-in ones first."""
    return (*BUILTIN, *(name for name in _registered if name not in BUILTIN))


def register(added: Backend) -> None:
    """Make `added` known under `added.name` (replacing a backend of that name)."""
    _registered[added.name] = added


def unregister(name: str) -> None:
    """Forget a backend added with `register` (built-in ones load again on next use)."""
    _registered.pop(name, None)


def environment_for(project: Project, backend_name: str = DEFAULT_BACKEND, *,
                    options: EnvironmentOptions | None = None) -> Environment:
    """The `backend_name` environment of `project`."""
    return backend(backend_name).environment(project, options or EnvironmentOptions())


def ensure_environment(target: Path, *, backend: str = DEFAULT_BACKEND,
                       options: EnvironmentOptions | None = None,
                       progress: Progress | None = None) -> EnsureResult:
    """Set up the environment of the project at `target` (a folder or a spec file).

    Nothing changed since the last build: answered from the stamp. Input files seen before
    (after `brain clean`, in a fresh clone): built from the cached plan. Either way the spec
    is not loaded again, which keeps pydantic out of the fast paths.
    """
    options = options or EnvironmentOptions()
    chosen = _backend(backend)
    root = _quick_root(target)
    if root is not None:
        result = chosen.quick_result(root, options)
        if result is None:
            result = chosen.ensure_from_plan(root, options, progress)
        if result is not None:
            return result
    from brain.spec.loader import load_project

    return chosen.environment(load_project(target), options).ensure(progress)


_backend = backend  # `ensure_environment`'s keyword hides the function's name inside it


def _quick_root(target: Path) -> Path | None:
    if target.is_dir():
        return target.resolve() if find_spec_file(target) is not None else None
    if target.name in SPEC_FILENAMES and target.is_file():
        return target.resolve().parent
    return None
