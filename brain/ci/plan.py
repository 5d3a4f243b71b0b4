"""The per-commit plan of `brain ci run`: which projects a change affects and what to do with
each, in dependency order (a library before the projects that install it).

Conventions (docs/ci.md): an entry point is a test when its name is `test` or `tests` or starts
with `test-`/`test_`; it is a report when it is a notebook entry point or its name is `report`
or starts with `report-`/`report_`. Names are compared as `brain run -e` compares them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.workspace.index import ProjectEntry, WorkspaceIndex

StepKind = Literal["validate", "setup", "checks", "test", "build", "publish", "report"]
_NULL_SHA = re.compile(r"0{40}(0{24})?")
_TEST_WORDS = ("test", "tests")
_REPORT_WORDS = ("report",)


def _words(name: str) -> str:
    return name.lower().replace("_", "-").replace(" ", "-")


def is_test_entry(name: str) -> bool:
    """Whether entry point `name` is one of the project's tests."""
    word = _words(name)
    return word in _TEST_WORDS or word.startswith(("test-", "tests-"))


def is_report_entry(name: str, entry_type: str) -> bool:
    """Whether entry point `name` (of type `entry_type`) renders a report."""
    word = _words(name)
    return (entry_type == "notebook" or word in _REPORT_WORDS
            or word.startswith("report-"))


@dataclass(frozen=True)
class Step:
    """One step of one project: `entry` names the entry point of a test or report step."""

    kind: StepKind
    entry: str | None = None

    @property
    def label(self) -> str:
        """`test:unit`, `build`, ..."""
        return f"{self.kind}:{self.entry}" if self.entry else self.kind


@dataclass
class ProjectPlan:
    """What CI does with one project; `skipped` says why it does nothing."""

    key: str
    path: str  # relative to the workspace root
    reason: str  # "changed", "depends on K", "everything (no base ref)"
    steps: list[Step] = field(default_factory=list)
    skipped: str | None = None
    library: str | None = None  # the distribution name when build_enabled

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, "path": self.path, "reason": self.reason,
                "skipped": self.skipped, "steps": [s.label for s in self.steps]}


@dataclass
class CiPlan:
    """Every project of the workspace: the affected ones with their steps, the others skipped."""

    root: Path
    since: str | None
    branch: str | None
    on_main: bool
    projects: list[ProjectPlan]
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"root": str(self.root), "since": self.since, "branch": self.branch,
                "on_main": self.on_main, "projects": [p.as_dict() for p in self.projects],
                "problems": list(self.problems)}


def main_branch() -> str:
    """The branch that publishes and renders reports (BRAIN_CI_MAIN_BRANCH, default main)."""
    from brain import settings

    return settings.text("BRAIN_CI_MAIN_BRANCH") or "main"


def current_branch(root: Path) -> str | None:
    """The checked-out branch at `root`, or None when detached or not versioned."""
    from brain.vcs.state import git_state

    return git_state(root).branch


def make_plan(start: Path, *, since: str | None, branch: str | None = None) -> CiPlan:
    """The plan for the workspace holding `start`: projects changed since `since` (every
    project when None) and their dependents get steps; the others are listed as skipped."""
    from brain.vcs.urls import check_ref
    from brain.workspace.graph import affected, build_graph
    from brain.workspace.index import load_index

    if since is not None and (not since or _NULL_SHA.fullmatch(since)):
        since = None  # CI's "no previous commit": a new branch, a manual run
    if since is not None:
        check_ref(since, what="--since ref")
    branch = branch or None
    if branch is not None:
        check_ref(branch, what="--branch")
    index = load_index(start)
    root = index.workspace.root
    branch = branch if branch is not None else current_branch(root)
    on_main = branch == main_branch()
    if since is None:
        reasons = {p.key: "everything (no base ref)" for p in index.projects}
    else:
        found, _ = affected(index, since)
        reasons = {a.project.key: a.reason for a in found}
    graph = build_graph(index)
    plans = []
    for key in _dependency_order(index, graph.dependencies):
        project = graph.projects[key]
        if key not in reasons:
            plans.append(ProjectPlan(key, project.path, "unchanged",
                                     skipped="not affected by the change"))
            continue
        plans.append(_project_plan(index, project, reasons[key], on_main))
    return CiPlan(root, since, branch, on_main, plans, list(index.problems))


def _dependency_order(index: WorkspaceIndex, dependencies: dict[str, set[str]]) -> list[str]:
    """Keys with every dependency first; ties (and cycles) in key order."""
    from graphlib import CycleError, TopologicalSorter

    try:
        sorter = TopologicalSorter({key: sorted(deps) for key, deps in dependencies.items()})
        sorter.prepare()
    except CycleError:
        return sorted(dependencies)  # validate reports the cycle; order matters no more
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


def _checks_before(check: Any, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> bool:
    from brain.checks import kind_of

    declared = check.as_json()
    return bool(kind_of(declared).item(declared, inputs, outputs).when == "before")


def _project_plan(index: WorkspaceIndex, project: ProjectEntry, reason: str,
                  on_main: bool) -> ProjectPlan:
    from brain.spec.loader import load_project

    plan = ProjectPlan(project.key, project.path, reason,
                       library=project.name if project.build_enabled else None)
    plan.steps.append(Step("validate"))
    try:
        loaded = load_project(index.workspace.root / project.path)
    except InvalidInput:
        return plan  # the validate step fails and says why
    entries = loaded.spec.entry_points
    plan.steps.append(Step("setup"))
    # Input data checks of every entry point that declares some (`brain check --when
    # before`); output checks run with the entry points that tests and reports run.
    plan.steps += [Step("checks", name) for name, entry in entries.items()
                   if any(_checks_before(check, entry.inputs, entry.outputs)
                          for check in entry.checks)]
    plan.steps += [Step("test", name) for name in entries if is_test_entry(name)]
    if project.build_enabled:
        plan.steps.append(Step("build"))
    if on_main:
        if project.build_enabled:
            plan.steps.append(Step("publish"))
        plan.steps += [Step("report", name) for name, entry in entries.items()
                       if not is_test_entry(name) and is_report_entry(name, entry.type)]
    return plan
