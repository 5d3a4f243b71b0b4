"""A run plan: everything `brain run` will execute, decided before anything runs.

`plan_run` turns an entry point name and `-P` text into typed values, the rendered command,
the argv (never a shell unless the entry point is `bash`), the variables and the port. The
plan is what `--dry-run` prints and what the runner executes, so the two cannot disagree.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.params import Value
    from brain.runs.snapshot import EntrySnapshot, ProjectSnapshot
    from brain.spec.loader import Project

RUNNABLE_TYPES = ("shell", "bash", "python", "notebook", "app")


@dataclass(frozen=True)
class RunPlan:
    """One entry point, resolved: what runs, with which values, where."""

    project: ProjectSnapshot
    run_id: str
    entry_name: str  # as declared in the spec
    entry_type: str
    parameters: Mapping[str, Value]
    command: str  # the rendered command text (argv joined for python entry points)
    argv: tuple[str, ...]
    variables: Mapping[str, str]  # PYTHONUNBUFFERED=1, env.variables, BRAIN_RUN_ID/PROJECT_DIR
    cwd: Path
    port: int | None = None  # apps: the port brain waits on
    inputs: tuple[str, ...] = field(default=())  # declared files, hashed into the record
    outputs: tuple[str, ...] = field(default=())

    def parameters_json(self) -> dict[str, object]:
        """The typed values in JSON-ready form (dates as ISO text)."""
        from brain.params import format_value

        return {name: value if isinstance(value, (bool, int, float, str)) else format_value(value)
                for name, value in self.parameters.items()}


def find_entry(project: ProjectSnapshot, name: str | None) -> tuple[str, EntrySnapshot]:
    """The entry point called `name` (normalised), or the only/`main` one when `name` is None."""
    entries = project.entry_points
    declared = ", ".join(repr(n) for n in entries) or "none"
    if not entries:
        raise InvalidInput(f"{project.name} declares no entry points",
                           hint="add one under entry_points: in onebrain.yml")
    if name is None:
        if len(entries) == 1:
            return next(iter(entries.items()))
        found = project.entry_point("main")
        if found is not None:
            return found
        raise InvalidInput(f"which entry point? {project.name} declares {declared}",
                           hint="pass one with -e NAME")
    found = project.entry_point(name)
    if found is None:
        import difflib

        from brain.runs.snapshot import normalize_entry_name

        normalized = {normalize_entry_name(n): n for n in entries}
        guess = difflib.get_close_matches(normalize_entry_name(name), list(normalized), n=1)
        tip = f"did you mean {normalized[guess[0]]!r}? " if guess else ""
        raise InvalidInput(f"unknown entry point {name!r} ({tip}declared: {declared})",
                           hint="`brain info` lists the entry points and their parameters")
    return found


def plan_run(
    project: Project | ProjectSnapshot,
    entry_name: str | None,
    given: Mapping[str, str],
    *,
    run_id: str | None = None,
) -> RunPlan:
    """Resolve `entry_name` with the `-P` values `given` into a RunPlan.

    Raises InvalidInput for an unknown entry point, an entry type brain cannot run here, and
    every undeclared, ill-typed or missing parameter (all named at once).
    """
    from brain.params import resolve
    from brain.runs.snapshot import ProjectSnapshot, snapshot_of

    if not isinstance(project, ProjectSnapshot):
        project = snapshot_of(project)
    name, entry = find_entry(project, entry_name)
    if entry.type not in RUNNABLE_TYPES:
        raise InvalidInput(f"entry point {name!r} is a {entry.type} entry point, which "
                           "`brain run` cannot run yet",
                           hint=f"runnable types: {', '.join(RUNNABLE_TYPES)}")
    values = resolve(entry.parameters, given, entry=name)
    command, argv = _command_and_argv(name, entry, values)
    if run_id is None:
        from brain.runs.store import new_run_id

        run_id = new_run_id()
    # Output reaches the terminal through brain's pipes (to be logged too); without this a
    # Python child would block-buffer it and nothing would show until it ended.
    variables = {"PYTHONUNBUFFERED": "1", **project.variables}
    variables["BRAIN_RUN_ID"] = run_id
    variables["BRAIN_PROJECT_DIR"] = str(project.root)
    return RunPlan(
        project=project,
        run_id=run_id,
        entry_name=name,
        entry_type=entry.type,
        parameters=values,
        command=command,
        argv=tuple(argv),
        variables=variables,
        cwd=project.root,
        port=_port(name, entry, values) if entry.type == "app" else None,
        inputs=entry.inputs,
        outputs=entry.outputs,
    )


def _command_and_argv(
    name: str, entry: EntrySnapshot, values: Mapping[str, Value]
) -> tuple[str, list[str]]:
    from brain.render import TemplateProblem, option_arguments, render_command

    if entry.type == "notebook":
        from brain.notebooks.execute import notebook_command

        return notebook_command(name, entry, values)
    if entry.type == "python":
        head = ["python", entry.script] if entry.script else ["python", "-m", str(entry.module)]
        argv = head + option_arguments(values, list(values))
        return shlex.join(argv), argv
    try:
        rendered = render_command(entry.command or "", values, bash=entry.type == "bash")
    except TemplateProblem as problem:
        raise InvalidInput(f"entry point {name!r}: {problem}",
                           hint="`brain validate` checks every command template") from None
    if entry.type == "bash":
        return rendered, ["bash", "-c", rendered]
    try:
        argv = shlex.split(rendered)
    except ValueError as error:  # an unbalanced quote written in the template itself
        raise InvalidInput(f"entry point {name!r}: the rendered command does not split into "
                           f"arguments ({error}): {rendered}",
                           hint="check the quotes in the command, or use type: bash") from None
    if not argv:
        raise InvalidInput(f"entry point {name!r}: the command renders to nothing")
    return rendered, argv


def _port(name: str, entry: EntrySnapshot, values: Mapping[str, Value]) -> int:
    if "port" in values:
        port = values["port"]
        if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
            return port
        raise InvalidInput(f"entry point {name!r}: port {port!r} is not a TCP port (1-65535)",
                           hint="declare the port parameter as type: int")
    if entry.port is not None:
        return entry.port
    raise InvalidInput(f"app entry point {name!r} has no port",
                       hint="add `port: 8000` to the entry point, or a `port` int parameter")


def pipeline_order(project: ProjectSnapshot, entry_name: str | None) -> list[str]:
    """The declared names of `entry_name` and its prerequisites, prerequisites first."""
    ordered: list[str] = []
    visiting: list[str] = []

    def visit(name: str, needed_by: str | None) -> None:
        if name in ordered:
            return
        if name in visiting:  # validation rejects cycles; a hand-made snapshot might not
            cycle = " -> ".join([*visiting[visiting.index(name):], name])
            raise InvalidInput(f"dependency cycle: {cycle}",
                               hint="remove one of these depends_on links in onebrain.yml")
        found = project.entry_point(name)
        if found is None:
            raise InvalidInput(f"entry point {needed_by!r} depends on {name!r}, which is not "
                               "declared", hint="fix depends_on in onebrain.yml")
        declared, entry = found
        if needed_by is not None and entry.type == "app":
            raise InvalidInput(f"entry point {needed_by!r} depends on the app {declared!r}, "
                               "which runs until stopped",
                               hint="start apps with `brain run`, not through depends_on")
        visiting.append(declared)
        for dependency in entry.depends_on:
            visit(dependency, declared)
        visiting.pop()
        ordered.append(declared)

    target, _ = find_entry(project, entry_name)
    visit(target, None)
    return ordered


def plan_pipeline(project: Project | ProjectSnapshot, entry_name: str | None,
                  given: Mapping[str, str]) -> list[RunPlan]:
    """A RunPlan for every step, prerequisites first, the asked-for entry point last.

    Each `-P` value goes to every step that declares a parameter of that name; a name that
    no step declares is reported by the asked-for entry point (with a suggestion).
    """
    from brain.runs.snapshot import ProjectSnapshot, snapshot_of

    if not isinstance(project, ProjectSnapshot):
        project = snapshot_of(project)
    names = pipeline_order(project, entry_name)
    declared = {name: project.entry_points[name].parameters for name in names}
    everywhere = {parameter for parameters in declared.values() for parameter in parameters}
    plans = []
    for name in names:
        last = name == names[-1]
        values = {key: value for key, value in given.items()
                  if key in declared[name] or (last and key not in everywhere)}
        plans.append(plan_run(project, name, values))
    return plans


def needs_pipeline(plans: list[RunPlan]) -> bool:
    """True when running `plans` takes more than a plain run: prerequisites, a cache check,
    or a notebook's report."""
    if len(plans) > 1 or plans[-1].entry_type == "notebook":
        return True
    if not plans[-1].outputs:
        return False  # nothing to cache: brain.runs.cache is not even imported
    from brain.runs.cache import cacheable

    return cacheable(plans[-1])
