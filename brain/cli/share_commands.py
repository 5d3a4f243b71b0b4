"""`brain generate-url`, `brain launch URL`, `brain hub`: sharing a project by a link."""

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
def launch(url: str, as_json: bool, events_fd: int | None, checkout: Path | None,
           contained: bool) -> None:
    """Follow a launch link here: fetch that commit, set up, run, record.

    The repository is fetched into brain's cache (reused next time), the spec and every
    parameter are validated at that commit, the environment is built (or reused when its
    dependencies did not change), and the run is recorded with the link as its origin.
    Exits with the entry point's own exit code.

    \b
    Example:
      brain launch 'http://127.0.0.1:8765/launch?v=1&repo=...&commit=...&entry=main'
    """
    from brain.errors import BrainError
    from brain.share import events
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
        result = follow(parse_link(url), on_phase=lambda name: emit(events.Phase(name)),
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


@click.command("hub", context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", default=8765, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--allow", "allow", multiple=True, metavar="PATTERN",
              help="Only launch repositories matching this pattern (fnmatch; repeatable). "
              "Default: any.")
@click.option("--secret", envvar="BRAIN_HUB_SECRET", metavar="SECRET", show_envvar=True,
              help="Require links signed with this secret (`generate-url --sign`).")
@click.option("--max-concurrent", default=2, type=click.IntRange(min=1), metavar="N",
              help="Launches running at once; more get HTTP 429.")
@click.option("--timeout", default=None, type=click.FloatRange(min=1), metavar="SECONDS",
              help="A launch is stopped after this long (environment build included). "
              "Default: the hub_timeout setting (1800).")
def hub(host: str, port: int, allow: tuple[str, ...], secret: str | None, max_concurrent: int,
        timeout: float | None) -> None:
    """Serve launch links: a page per link, live logs, launch history, hosted apps.

    Each launch runs in its own working copy, with a scrubbed environment, under the limits
    of the hub_* settings (`brain config list`); a hub run as root runs launches as hub_user.

    \b
    Examples:
      brain hub
      brain hub --allow 'https://github.com/acme/*' --secret "$BRAIN_HUB_SECRET"
    """
    from brain.extras import require_extra

    require_extra("hub", "brain hub")
    from brain.share.hub import HubSettings, serve

    settings = HubSettings(host=host, port=port, allow=allow, secret=secret or None,
                           max_concurrent=max_concurrent, timeout=timeout)
    if host not in ("127.0.0.1", "localhost", "::1") and not allow and not secret:
        output.warn(f"listening on {host} with no --allow and no --secret: anyone who reaches "
                    "this port can run any repository's code on this machine")
    output.note(f"hub listening on http://{host}:{port} (Ctrl-C to stop)")
    serve(settings)


__all__ = ["generate_url", "hub", "launch"]
