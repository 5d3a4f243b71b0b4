"""`brain generate-url`, `brain launch URL`: sharing a project by a link (`brain hub` is in
brain.cli.hub_commands)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.runs.plan import RunPlan
    from brain.runs.record import RunRecord


@click.command("generate-url", context_settings={"show_default": True})
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("-e", "--entry", metavar="ENTRY", help="Entry point the link runs.")
@click.option("-P", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value carried by the link (repeatable).")
@click.option("--hub", default="http://127.0.0.1:8765", metavar="URL",
              help="The hub the link opens on.")
@click.option("--sign", is_flag=True,
              help="Sign the link with the hub's secret (BRAIN_HUB_SECRET).")
@click.option("--strict", is_flag=True,
              help="Refuse (exit 2) when the tree is dirty or HEAD is not on the remote.")
@click.option("--json", "as_json", is_flag=True, help="Print the link and its parts as JSON.")
def generate_url(project: Path | None, entry: str | None, params: tuple[str, ...], hub: str,
                 sign: bool, strict: bool, as_json: bool) -> None:
    """Print a link that re-runs this exact commit with these parameters.

    The link pins HEAD's full commit SHA, the project's folder inside the repository, the
    entry point and the parameters (validated now). Anyone who can fetch the remote opens it
    on a hub (`brain hub`) or runs it with `brain launch URL`.

    \b
    Examples:
      brain generate-url -e fit-models -P alpha=0.7
      BRAIN_HUB_SECRET=... brain generate-url --sign --hub https://hub.example.com
    """
    from brain.errors import InvalidInput
    from brain.params import parse_assignments
    from brain.share.generate import SECRET_VARIABLE, generate_link, hub_secret

    secret = hub_secret() if sign else None
    if sign and not secret:
        raise InvalidInput(f"--sign needs the hub's secret in {SECRET_VARIABLE}",
                           hint=f"export {SECRET_VARIABLE}=... (the value `brain hub --secret` "
                           "uses)")
    folder = output.project_folder(project, hint="pass a project folder: brain generate-url PATH")
    made = generate_link(folder, entry=entry, params=parse_assignments(params),
                         hub=hub, secret=secret, strict=strict)
    for warning in made.warnings:
        output.warn(warning)
    if as_json:
        link = made.link
        output.print_json({"url": made.url, "repo": link.repo, "commit": link.commit,
                           "path": link.path, "entry": link.entry, "params": dict(link.params),
                           "signed": link.signature is not None, "warnings": made.warnings})
        return
    output.echo(made.url)


@click.command("launch")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True,
              help="Print the finished run record as JSON on stdout (the run's own output "
              "then goes to stderr).")
@click.option("--events-fd", type=click.IntRange(min=3), default=None, hidden=True,
              help="Also write progress events as JSON lines to this file descriptor (the hub).")
@click.option("--checkout", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, hidden=True,
              help="Run in this working copy of the link's commit instead of the cache's (the "
              "hub gives each launch its own).")
@click.option("--contained", is_flag=True,
              help="Run under the hub's CPU, memory and file-size limits (the hub_* settings).")
@click.option("--allow-data", "allow_data", multiple=True, metavar="PATTERN",
              help="Dataset remotes (fnmatch on their URL) the project may pull from; "
              "repeatable. Default: none, a launched project reaches no data remote.")
def launch(url: str, as_json: bool, events_fd: int | None, checkout: Path | None,
           contained: bool, allow_data: tuple[str, ...]) -> None:
    """Follow a launch link here: fetch that commit, set up, run, record.

    The repository is fetched into brain's cache (reused next time), the spec and every
    parameter are validated at that commit, the environment is built (or reused when its
    dependencies did not change), and the run is recorded with the link as its origin.
    Exits with the entry point's own exit code.

    \b
    Examples:
      brain launch 'http://127.0.0.1:8765/launch?v=1&repo=...&commit=...&entry=main'
      brain launch URL --allow-data 's3://example-bucket/*'   # let it pull its datasets
    """
    from brain.errors import BrainError
    from brain.share import events
    from brain.share.launch import Policy
    from brain.share.launch import launch as follow
    from brain.share.url import parse_link

    writer = events.EventWriter(events_fd) if events_fd is not None else None
    limits = None
    if contained:
        from brain.share.limits import limit_this_process, limits_from_settings

        limits = limits_from_settings()
        limit_this_process(limits)

    def emit(event: events.Event) -> None:
        if writer is not None:
            writer(event)
        for line in _rendered(event):
            output.note(line)

    def started(plan: RunPlan, record: RunRecord) -> None:
        emit(events.RunStarted(record.id, plan.entry_name, plan.command))

    def cached(plan: RunPlan, earlier: RunRecord) -> None:
        emit(events.RunCached(plan.entry_name, earlier.id))

    try:
        result = follow(parse_link(url), policy=Policy(allow_data=allow_data),
                        on_phase=lambda name: emit(events.Phase(name)),
                        progress=lambda text: emit(events.Setup(text)),
                        on_ready=lambda where: emit(events.AppReady(where)),
                        stdout=sys.stderr if as_json else None, on_started=started,
                        on_cached=cached, checkout_root=checkout)
    except BrainError as error:
        if writer is not None:
            writer(events.Failed(error.message, error.hint))
        raise
    record = result.record
    message = result.message
    if limits is not None:
        from brain.share.limits import signal_limit

        message = signal_limit(result.exit_code, limits) or message
    emit(events.Finished(record.id, record.status, result.exit_code,
                         environment_reused=not result.environment.changed,
                         message=message,
                         report=str(result.report) if result.report is not None else None))
    if as_json:
        output.print_json(record.as_dict())
    raise SystemExit(result.exit_code)


# A launch's phases (brain.share.launch) as people follow them; `done` is said by the end line.
_PHASE_WORDS = {"fetching": "[1/3] fetching the project at its commit",
                "environment": "[2/3] setting up its environment",
                "running": "[3/3] running it"}


def _rendered(event: object) -> list[str]:
    """The lines a person reads for a launch event."""
    from brain.share import events

    if isinstance(event, events.Phase):
        words = _PHASE_WORDS.get(event.name)
        return [words] if words else []
    if isinstance(event, events.Setup):
        return [f"setup: {event.text}"]
    if isinstance(event, events.RunStarted):
        return [f"run {event.run_id} ({event.entry}): {event.command}"]
    if isinstance(event, events.RunCached):
        return [f"{event.entry} is up to date: its outputs come from run {event.run_id}"]
    if isinstance(event, events.AppReady):
        return [f"app ready at {event.url}"]
    if isinstance(event, events.Finished):
        reused = "reused" if event.environment_reused else "built"
        lines = [f"run {event.run_id} {event.status} (exit {event.exit_code}); "
                 f"environment {reused}"]
        lines += [event.message] if event.message else []
        lines += [f"report: {event.report}"] if event.report else []
        return lines
    return []


__all__ = ["generate_url", "launch"]
