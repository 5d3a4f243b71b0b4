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
        # Self-references are never edges (see build_graph), so a cycle has two members or more.
        groups = _strongly_connected(self.projects, self.dependencies)
        return sorted(sorted(group) for group in groups if len(group) > 1)

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


def _strongly_connected(nodes: dict[str, Any], edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: a chain of 1,000 projects must not hit the recursion
    limit."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for start in sorted(nodes):
        if start in index_of:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index_of[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index_of[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups

