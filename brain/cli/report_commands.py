"""`brain report [list|open ID|index]`: a project's rendered notebook reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from brain.cli import output
from brain.cli.output import short_run_ids

_project_option = click.option(
    "-p", "--path", "project", type=click.Path(path_type=Path), metavar="PROJECT",
    help="The project folder (default: the project holding the current folder).")


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@_project_option
@click.pass_context
def report(ctx: click.Context, as_json: bool, project: Path | None) -> None:
    """The notebook reports of a project, with their provenance.

    Every run of a notebook entry point leaves an executed notebook, a standalone HTML
    report and provenance.json (commit, parameters, input hashes, environment, timings)
    under .brain/reports/<run id>/. `brain report` alone lists them, newest first.

    \b
    Examples:
      brain report
      brain report list --json
      brain report open 1a2115042633
      brain report index            # writes .brain/reports/index.html
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_reports, as_json=as_json, project=project)


@report.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@_project_option
def list_reports(as_json: bool, project: Path | None) -> None:
    """List the reports, newest first: run id, when, entry point, parameters, commit."""
    from brain.notebooks.reports import list_reports as find_all

    reports = find_all(_root(project))
    if as_json:
        output.print_json([found.as_dict() for found in reports])
        return
    if not reports:
        output.echo("no reports yet: run a notebook entry point with `brain run -e NAME`")
        return
    rows: list[list[Any]] = []
    short = short_run_ids([found.run_id for found in reports])
    for found in reports:
        commit = (found.commit or "")[:12] + ("+dirty" if found.dirty else "")
        rows.append([short[found.run_id], _when(found.started_at), found.entry_point, found.status,
                     commit or "-", _parameters(found.parameters),
                     str(found.html) if found.html else "-"])
    output.table(None, ["run", "started", "entry", "status", "commit", "parameters", "html"],
                 rows, no_wrap=("run",))


@report.command("open")
@click.argument("run_id", metavar="ID")
@_project_option
def open_report(run_id: str, project: Path | None) -> None:
    """Print the HTML report of run ID (a unique prefix works); open it in a browser when
    brain runs on a terminal."""
    from brain.errors import InvalidInput
    from brain.notebooks.reports import find_report

    found = find_report(_root(project), run_id)
    if found.html is None:
        raise InvalidInput(f"run {found.run_id} left no HTML report ({found.status})",
                           hint=f"see {found.directory} for what it left")
    output.echo(str(found.html))
    _browse(found.html)


@report.command("index")
@_project_option
@click.option("--open", "open_it", is_flag=True, help="Also open the index in a browser.")
def index(project: Path | None, open_it: bool) -> None:
    """Write .brain/reports/index.html, a static page linking every report; print its path."""
    from brain.notebooks.reports import write_index

    root = _root(project)
    target = write_index(root, title=f"Reports of {root.name}")
    output.echo(str(target))
    if open_it:
        _browse(target)


def _browse(path: Path) -> None:
    """Open `path` in a browser, only for a person at a terminal (never in scripts or CI)."""
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        return
    import webbrowser

    webbrowser.open(path.resolve().as_uri())


def _root(project: Path | None) -> Path:
    from brain.errors import InvalidInput
    from brain.paths import find_project_root, find_spec_file

    if project is not None:
        if not project.is_dir() or find_spec_file(project) is None:
            raise InvalidInput(f"{project} is not a project folder (no onebrain.yml)",
                               hint="pass the folder holding onebrain.yml")
        return project.resolve()
    root = find_project_root(Path.cwd())
    if root is None:
        raise InvalidInput("no onebrain.yml here or in any parent folder",
                           hint="run inside a project, or pass --path PROJECT")
    return root


def _parameters(values: dict[str, Any]) -> str:
    text = " ".join(f"{key}={value}" for key, value in values.items())
    return text if len(text) <= 60 else text[:59] + "…"


def _when(timestamp: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S") if timestamp else ""


__all__ = ["report"]
