"""`brain list`, `brain graph`, `brain affected`: the projects of a monorepo workspace.

The workspace is the nearest folder holding `brain-workspace.yml`, else the git root, else
the current folder (`-C DIR` starts the search elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output

_PROBLEMS_SHOWN = 5


@click.command("list")
@click.option("--namespace", "-n", metavar="NS", help="Only projects in this namespace.")
@click.option("--tag", "-t", metavar="TAG", help="Only projects carrying this tag.")
@click.option("--json", "as_json", is_flag=True, help="Print the projects as JSON.")
def list_projects(namespace: str | None, tag: str | None, as_json: bool) -> None:
    """List every project of the workspace (a monorepo), sorted by namespace/name.

    Invalid specs are left out with a warning (`brain validate` shows their problems).
    Exits 2 when two projects share a namespace/name or brain-workspace.yml is invalid.

    \b
    Examples:
      brain list
      brain list --namespace forecasting --tag llm
      brain list --json | jq -r '.projects[].path'

    \b
    brain-workspace.yml (optional, at the workspace root):
      projects: ["projects/**", "libs/*"]    # project folders to include (default: all)
      exclude: ["projects/archive/**"]       # folders to leave out
      index: https://pypi.example.com/simple # the default package index
      hub: https://hub.example.com           # the team's brain hub
    """
    from brain.workspace.index import load_index

    index = load_index(Path.cwd())
    projects = index.select(namespace, tag)
    if as_json:
        output.print_json({"root": str(index.workspace.root),
                           "projects": [project.as_dict() for project in projects],
                           "problems": index.problems})
        return
    _warn_problems(index.problems)
    if not projects:
        wanted = " matching the filters" if namespace or tag else ""
        output.echo(f"no projects{wanted} in {index.workspace.root}", err=True)
        return
    output.table(None, ["project", "version", "tags", "path"], [
        [project.key, project.version, ", ".join(project.tags), project.path]
        for project in projects
    ])


@click.command()
@click.option("--dot", is_flag=True, help="Print Graphviz DOT (pipe into `dot -Tsvg`).")
@click.option("--json", "as_json", is_flag=True, help="Print the graph as JSON.")
def graph(dot: bool, as_json: bool) -> None:
    """Show which projects depend on which.

    Project B depends on project A when B's env.python.pip names A (a library published
    from the workspace); names compare PEP 503-normalised. Cycles are reported.

    \b
    Examples:
      brain graph
      brain graph --dot | dot -Tsvg > graph.svg
      brain graph --json
    """
    from brain.workspace.graph import build_graph
    from brain.workspace.index import load_index

    if dot and as_json:
        raise click.UsageError("choose one of --dot and --json")
    index = load_index(Path.cwd())
    project_graph = build_graph(index)
    if dot:
        click.echo(project_graph.to_dot(), nl=False)
        return
    if as_json:
        output.print_json(project_graph.as_dict())
        return
    _warn_problems(index.problems)
    for cycle in project_graph.cycles():
        output.warn(f"dependency cycle: {' -> '.join([*cycle, cycle[0]])}")
    output.table(None, ["project", "depends on", "used by"], [
        [key, ", ".join(sorted(project_graph.dependencies[key])),
         ", ".join(sorted(project_graph.dependents[key]))]
        for key in sorted(project_graph.projects)
    ])


@click.command()
@click.option("--since", "since", required=True, metavar="REF",
              help="A branch, tag or commit: changes since its merge base with HEAD count.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def affected(since: str, as_json: bool) -> None:
    """List the projects a change touches, and every project that depends on them.

    A project is changed when a file under its folder differs from the merge base of REF
    and HEAD (as `git diff REF...HEAD`) or has uncommitted changes. CI can then test only
    these. Exits 2 for an unknown or malformed REF, or outside a git repository.

    \b
    Examples:
      brain affected --since main
      brain affected --since origin/main --json | jq -r '.projects[].path'
    """
    from brain.workspace.graph import affected as find_affected
    from brain.workspace.index import load_index

    index = load_index(Path.cwd())
    found, files = find_affected(index, since)
    if as_json:
        output.print_json({"root": str(index.workspace.root), "since": since,
                           "changed_files": files,
                           "projects": [item.as_dict() for item in found]})
        return
    _warn_problems(index.problems)
    if not found:
        output.echo(f"no project changed since {since} ({len(files)} changed file(s) "
                    "outside projects)", err=True)
        return
    output.table(None, ["project", "path", "why"],
                 [[item.project.key, item.project.path, item.reason] for item in found])


def _warn_problems(problems: list[str]) -> None:
    if not problems:
        return
    for line in problems[:_PROBLEMS_SHOWN]:
        output.warn(line)
    more = len(problems) - _PROBLEMS_SHOWN
    output.warn(f"{len(problems)} problem(s) in invalid specs, which are left out"
                + (f" ({more} more not shown)" if more > 0 else "")
                + "; run `brain validate` to see them all")


__all__ = ["affected", "graph", "list_projects"]
