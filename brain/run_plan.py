"""What a run is made of, below both the run core and the entry point types.

A RunPlan is everything `brain run` will execute, decided before anything runs; the entry
point and parameter views are the pydantic-free form the run path reads (see
brain.runs.snapshot). Entry point types (brain.entrypoints) build plans, the run core
(brain.runs) executes them, and neither has to import the other for these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from brain.params import Value


# A folder of the run's own that brain names in this variable (its logs' folder; on a cluster
# its working copy), so runs sharing a project at the same time (sweep points) write apart.
RUN_DIR_VARIABLE = "BRAIN_RUN_DIR"


class ParameterSnapshot(NamedTuple):
    """A declared parameter (the fields coercion reads)."""

    type: str = "str"
    default: Value | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[Value, ...] | None = None
    allow_nan: bool = False
    outside_project: bool = False

    @property
    def required(self) -> bool:
        """True when the parameter has no default."""
        return self.default is None


class EntrySnapshot(NamedTuple):
    """A declared entry point."""

    type: str
    command: str | None = None
    script: str | None = None
    module: str | None = None
    port: int | None = None
    parameters: dict[str, ParameterSnapshot] = {}  # noqa: RUF012 (shared, never changed)
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    notebook: str | None = None
    kernel: str | None = None  # notebook: the Jupyter kernel (None: python3)
    depends_on: tuple[str, ...] = ()
    metrics: str | None = None
    # Data checks as validated JSON (brain.spec.data_checks); brain.checks types them.
    checks: tuple[Mapping[str, Any], ...] = ()


class ProjectView(Protocol):
    """What a plan knows of its project (brain.runs.snapshot.ProjectSnapshot is one)."""

    @property
    def root(self) -> Path: ...
    @property
    def spec_file(self) -> Path: ...
    @property
    def spec_hash(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def variables(self) -> dict[str, str]: ...
    @property
    def entry_points(self) -> dict[str, EntrySnapshot]: ...
    @property
    def datasets(self) -> dict[str, str]:
        """Dataset name -> path in the project (the spec's `data.datasets`)."""
        ...

    def entry_point(self, name: str) -> tuple[str, EntrySnapshot] | None:
        """The entry point whose name matches `name` after normalisation."""
        ...


class RunPlan(NamedTuple):
    """One entry point, resolved: what runs, with which values, where."""

    project: ProjectView
    run_id: str
    entry_name: str  # as declared in the spec
    entry_type: str
    parameters: Mapping[str, Value]
    command: str  # the rendered command text (argv joined for python entry points)
    argv: tuple[str, ...]
    variables: Mapping[str, str]  # PYTHONUNBUFFERED=1, env.variables, BRAIN_RUN_ID/PROJECT_DIR
    cwd: Path
    port: int | None = None  # long-running entry points (apps): the port brain waits on
    inputs: tuple[str, ...] = ()  # declared files, hashed into the record
    outputs: tuple[str, ...] = ()

    @property
    def entry(self) -> EntrySnapshot:
        """The declared entry point this plan runs."""
        return self.project.entry_points[self.entry_name]

    def parameters_json(self) -> dict[str, object]:
        """The typed values in JSON-ready form (dates as ISO text)."""
        from brain.params import plain

        return {name: plain(value) for name, value in self.parameters.items()}
