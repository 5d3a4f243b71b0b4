"""The Environment interface: venv and docker are interchangeable behind it.

A third backend is a new module implementing this protocol and `brain.envs.select.Backend`,
registered in brain.envs.select, not a new `if`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:  # only in annotations: the no-op `setup-deps` path must not load pydantic
    from brain.spec.loader import Project

Progress = Callable[[str], None]
"""Called with a short human phrase as long work advances ("installing 12 packages")."""


class EnsureResult(NamedTuple):
    """What `ensure` did."""

    identity: str
    changed: bool  # False: the environment was already up to date (a no-op)
    location: str  # a venv path, or an image tag
    seconds: float


class SourceRevision(NamedTuple):
    """The commit a project's files come from, and whether they differ from it."""

    commit: str | None = None  # None: not in a repository, or no commit yet
    dirty: bool | None = None  # None: unknown


RevisionSource = Callable[[], SourceRevision]
"""Called when a backend needs the revision (to tag and label an image), at most once."""


class Invocation(NamedTuple):
    """How to start a command inside an environment."""

    argv: list[str]
    env: dict[str, str]


class Environment(Protocol):
    """A place where a project's entry points run."""

    project: Project
    name: str  # the backend's name

    def identity(self) -> str:
        """Hash of the resolved dependency set + Python version + platform (no network)."""
        ...

    def is_ready(self) -> bool:
        """True when the environment exists and its stamp matches `identity()`."""
        ...

    def ensure(self, progress: Progress | None = None) -> EnsureResult:
        """Create or refresh the environment; a cheap no-op when it is up to date."""
        ...

    def invocation(self, argv: Sequence[str], variables: Mapping[str, str]) -> Invocation:
        """The argv and environment variables that run `argv` inside this environment."""
        ...
