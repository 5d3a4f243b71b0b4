"""`brain check`: a project's data checks against its files as they are, without a run."""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output


@click.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("-e", "--entry", metavar="ENTRY", help="Only this entry point's checks.")
@click.option("--when", type=click.Choice(["before", "after"]),
              help="Only the input (before) or output (after) checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def check(path: Path | None, entry: str | None, when: str | None, as_json: bool) -> None:
    """Run the declared data checks (pandera schemas, test modules) on the files as they are.

    The checks run in the project's environment, as they do around `brain run`; nothing
    else runs and no run is recorded. Exits 5 when a check fails (`brain ci run` runs the
    input checks of every entry point that declares some).

    \b
    Examples:
      brain check
      brain check -e train --when before
      brain check --json
    """
    from brain.cli.checks_output import show_checks
    from brain.errors import EXIT_CHECK_FAILED
    from brain.runs.checking import check_project
    from brain.runs.snapshot import load_snapshot

    project = load_snapshot(output.project_folder(path))
    outcomes = check_project(project, entry, when,
                             progress=lambda phrase: output.note(f"setup: {phrase}"))
    results = {name: [result.as_dict() for result in outcome.results]
               for name, outcome in outcomes.items()}
    if as_json:
        output.print_json({"passed": all(o.ok for o in outcomes.values()),
                           "entry_points": results})
    else:
        for name, shown in results.items():
            output.echo(f"{name}:")
            show_checks(shown, err=False)
    if not all(outcome.ok for outcome in outcomes.values()):
        raise SystemExit(EXIT_CHECK_FAILED)
