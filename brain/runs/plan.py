"""A run plan: everything `brain run` will execute, decided before anything runs.

`plan_run` turns an entry point name and `-P` text into typed values, the rendered command,
the argv (built by the entry point's type, brain.entrypoints), the variables and the port.
The plan is what `--dry-run` prints and what the runner executes, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from brain.entry_names import default_entry
from brain.entrypoints import entry_type, type_names
from brain.errors import InvalidInput
from brain.run_plan import RunPlan

if TYPE_CHECKING:
    from brain.run_plan import EntrySnapshot, ProjectView
    from brain.runs.snapshot import ProjectSnapshot
    from brain.spec.loader import Project

__all__ = ["RunPlan", "find_entry", "needs_pipeline", "pipeline_order", "plan_pipeline",
           "plan_run"]

def find_entry(project: ProjectView, name: str | None) -> tuple[str, EntrySnapshot]:
    """The entry point called `name` (normalised), or the only/`main` one when `name` is None."""
    entries = project.entry_points
    declared = ", ".join(repr(n) for n in entries) or "none"
    if not entries:
        raise InvalidInput(f"{project.name} declares no entry points",
                           hint="add one under entry_points: in onebrain.yml")
    if name is None:
        found = default_entry(entries)
        if found is not None:
            return found
        raise InvalidInput(f"which entry point? {project.name} declares {declared}",
                           hint="pass one with -e NAME")
    found = project.entry_point(name)
    if found is None:
        import difflib

        from brain.entry_names import normalize_entry_name

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
    from brain.params import check_paths_inside, resolve
    from brain.runs.snapshot import ProjectSnapshot, snapshot_of

    if not isinstance(project, ProjectSnapshot):
        project = snapshot_of(project)
    name, entry = find_entry(project, entry_name)
    if entry.type not in type_names():
        raise InvalidInput(f"entry point {name!r} is a {entry.type} entry point, which "
                           "`brain run` cannot run yet",
                           hint=f"runnable types: {', '.join(type_names())}")
    kind = entry_type(entry.type)
    values = resolve(entry.parameters, given, entry=name)
    check_paths_inside(entry.parameters, values, project.root)
    command, argv = kind.command(name, entry, values)
    if run_id is None:
        from brain.runs.run_ids import new_run_id

        run_id = new_run_id()
    # Output reaches the terminal through brain's pipes (to be logged too); without this a
    # Python child would block-buffer it and nothing would show until it ended.
    variables = {"PYTHONUNBUFFERED": "1", **kind.variables(name, entry, values),
                 **project.variables}  # the spec's own env.variables win over the type's
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
        port=kind.port(name, entry, values),
        inputs=entry.inputs,
        outputs=entry.outputs,
    )


def pipeline_order(project: ProjectView, entry_name: str | None) -> list[str]:
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
        if needed_by is not None and entry_type(entry.type).long_running:
            raise InvalidInput(f"entry point {needed_by!r} depends on the {entry.type} "
                               f"{declared!r}, which runs until stopped",
                               hint=f"start {entry.type} entry points with `brain run`, "
                               "not through depends_on")
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
    or a report to collect after it."""
    if len(plans) > 1 or entry_type(plans[-1].entry_type).produces_report:
        return True
    if not plans[-1].outputs:
        return False  # nothing to cache: brain.runs.cache is not even imported
    from brain.runs.cache import cacheable

    return cacheable(plans[-1])
