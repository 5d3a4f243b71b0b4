"""The project dependency graph of a workspace, and which projects a change affects.

Project B depends on project A when B's `env.python.pip` names A's name: A is published as a
library and B installs it. Names are compared PEP 503-normalised (`My_Lib` = `my-lib`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from brain.workspace.index import ProjectEntry, WorkspaceIndex, canonical_name


@dataclass
class ProjectGraph:
    """Edges between projects, by `namespace/name` key, both ways."""

    projects: dict[str, ProjectEntry]
    dependencies: dict[str, set[str]] = field(default_factory=dict)  # key -> what it needs
    dependents: dict[str, set[str]] = field(default_factory=dict)  # key -> what needs it

    def edges(self) -> list[tuple[str, str]]:
        """(dependent, dependency) pairs, sorted."""
        return sorted((key, dep) for key, deps in self.dependencies.items() for dep in deps)

    def dependents_closure(self, keys: set[str]) -> dict[str, str]:
        """Everything that depends on `keys`, directly or not: key -> the key it came through."""
        reached: dict[str, str] = {}
        queue = deque(sorted(keys))
        while queue:
            current = queue.popleft()
            for dependent in sorted(self.dependents.get(current, ())):
                if dependent not in keys and dependent not in reached:
                    reached[dependent] = current
                    queue.append(dependent)
        return reached

    def cycles(self) -> list[list[str]]:
        """Groups of projects that depend on each other in a circle (strongly connected)."""
        from graphlib import CycleError, TopologicalSorter

        # Self-references are never edges (see build_graph), so a cycle has two members or more.
        remaining = {key: set(deps) for key, deps in self.dependencies.items()}
        groups = []
        while True:
            try:
                TopologicalSorter(remaining).prepare()
            except CycleError as error:
                group = _circle_through(error.args[1][0], remaining)
                groups.append(sorted(group))
                remaining = {key: deps - group for key, deps in remaining.items()
                             if key not in group}
            else:
                return sorted(groups)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "projects": [
                {"key": key, "path": project.path,
                 "depends_on": sorted(self.dependencies.get(key, ())),
                 "dependents": sorted(self.dependents.get(key, ()))}
                for key, project in sorted(self.projects.items())
            ],
            "edges": [list(edge) for edge in self.edges()],
            "cycles": self.cycles(),
        }

    def to_dot(self) -> str:
        """Graphviz DOT text: an arrow from each project to what it depends on."""
        lines = ["digraph brain {", "  rankdir=LR;", "  node [shape=box];"]
        lines += [f"  {_dot_id(key)};" for key in sorted(self.projects)]
        lines += [f"  {_dot_id(a)} -> {_dot_id(b)};" for a, b in self.edges()]
        lines.append("}")
        return "\n".join(lines) + "\n"


def build_graph(index: WorkspaceIndex) -> ProjectGraph:
    """The dependency graph of an index's projects."""
    projects = index.by_key()
    by_name: dict[str, list[ProjectEntry]] = {}
    for project in index.projects:
        by_name.setdefault(canonical_name(project.name), []).append(project)
    graph = ProjectGraph(projects, {key: set() for key in projects},
                         {key: set() for key in projects})
    for project in index.projects:
        for name in project.dependencies:
            candidates = by_name.get(name, [])
            # Two namespaces may reuse a name; the published one (build_enabled) is the library.
            published = [c for c in candidates if c.build_enabled]
            for target in published or candidates:
                if target.key != project.key:
                    graph.dependencies[project.key].add(target.key)
                    graph.dependents[target.key].add(project.key)
    return graph


@dataclass(frozen=True)
class Affected:
    """A project a change touches, and why."""

    project: ProjectEntry
    reason: str  # "changed" or "depends on <key>"
    changed_files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.project.key, "path": self.project.path, "reason": self.reason,
                "changed_files": list(self.changed_files)}


def affected(index: WorkspaceIndex, since_ref: str) -> tuple[list[Affected], list[str]]:
    """Projects with files changed since `since_ref` (committed since the merge base, staged,
    unstaged or untracked), plus everything that depends on them. Returns (affected, changed
    files relative to the workspace root)."""
    from brain.vcs.repository import changed_files

    root = index.workspace.root
    files = changed_files(root, since_ref)
    owners = _owners(index.projects)
    touched: dict[str, list[str]] = {}
    for path in files:
        owner = _owner_of(path, owners)
        if owner is not None:
            touched.setdefault(owner.key, []).append(path)
    graph = build_graph(index)
    result = [Affected(graph.projects[key], "changed", tuple(sorted(paths)))
              for key, paths in sorted(touched.items())]
    # Dependents in breadth-first order: nearest first, each naming what it came through.
    for key, through in graph.dependents_closure(set(touched)).items():
        result.append(Affected(graph.projects[key], f"depends on {through}"))
    return result, files


def _owners(projects: list[ProjectEntry]) -> dict[str, ProjectEntry]:
    return {project.path: project for project in projects}


def _owner_of(path: str, owners: dict[str, ProjectEntry]) -> ProjectEntry | None:
    """The deepest project folder holding `path` (projects may nest)."""
    parts = path.split("/")[:-1]
    for end in range(len(parts), -1, -1):
        folder = "/".join(parts[:end]) or "."
        if folder in owners:
            return owners[folder]
    return None


def _dot_id(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _circle_through(start: str, edges: dict[str, set[str]]) -> set[str]:
    """Every project both reachable from `start` and reaching it: its whole circle."""
    reverse: dict[str, set[str]] = {}
    for key, deps in edges.items():
        for dep in deps:
            reverse.setdefault(dep, set()).add(key)
    return _reachable(start, edges) & _reachable(start, reverse)


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for following in edges.get(queue.popleft(), ()):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen
