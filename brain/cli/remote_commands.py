"""`brain remote`: work on another machine over SSH: add, list, remove, push, pull, run,
lab, stop."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.remote.run import RemoteEvent
    from brain.remote.settings import Remote
    from brain.remote.sync import SyncResult


@click.group()
def remote() -> None:
    """Work on another machine over SSH: sync the project, run there, JupyterLab there.

    \b
    Examples:
      brain remote add box ssh://me@box.example.com/srv/demo
      brain remote push box --dry-run
      brain remote run box -e fit-models -P alpha=0.7
      brain remote pull box models/model.pkl
      brain remote lab box
      brain remote stop box
    """


@remote.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--identity", type=click.Path(dir_okay=False, path_type=Path), metavar="KEY",
              help="Private key file for this remote (default: ssh's own choice).")
@click.option("--brain", "brain_command", default="brain", show_default=True, metavar="PATH",
              help="The brain command on the remote (a full path when not on its PATH).")
@click.option("--replace", is_flag=True, help="Change a remote that already exists.")
def add(name: str, url: str, identity: Path | None, brain_command: str, replace: bool) -> None:
    """Add a remote: ssh://[user@]host[:port][/path].

    The path is the project's folder there: absolute, or `/~/rel` for one under the remote
    home; without it, `brain-projects/<project name>` under the home. Remotes are kept in
    BRAIN_HOME/remotes.json (BRAIN_REMOTES overrides); BRAIN_SSH_CONFIG names an ssh_config
    file brain passes to ssh with -F.
    """
    from brain.remote.settings import Remote, add_remote, check_brain_command
    from brain.remote.url import check_remote_name, parse_remote_url
    from brain.settings import expand_user

    key = str(expand_user(identity).resolve()) if identity is not None else None
    entry = Remote(check_remote_name(name), parse_remote_url(url),
                   check_brain_command(brain_command), key)
    add_remote(entry, replace=replace)
    output.success(f"remote {name} -> {entry.url}")


@remote.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the remotes as JSON.")
def list_remotes(as_json: bool) -> None:
    """List the remotes."""
    from brain.remote.settings import load_remotes

    remotes = load_remotes()
    if as_json:
        output.print_json([entry.as_dict() for entry in remotes.values()])
        return
    if not remotes:
        output.echo("no remotes yet: brain remote add NAME ssh://user@host/path")
        return
    output.table(None, ["name", "url", "brain", "identity"],
                 [(entry.name, str(entry.url), entry.brain, entry.identity or "")
                  for entry in remotes.values()])


@remote.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget a remote (nothing on the remote machine changes)."""
    from brain.remote.settings import remove_remote

    removed = remove_remote(name)
    output.success(f"removed remote {name} ({removed.url})")


@remote.command("push")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show what would move; move nothing.")
@click.option("--delete", is_flag=True,
              help="Also delete remote files the project no longer has.")
@click.option("--json", "as_json", is_flag=True, help="Print what moved as JSON.")
def push_command(name: str, dry_run: bool, delete: bool, as_json: bool) -> None:
    """Copy the project to the remote (rsync over ssh; .gitignore honoured, .brain/ never)."""
    from brain.remote.sync import push

    entry, root, folder = _target(name)
    _show(push(entry, root, folder, dry_run=dry_run, delete=delete,
               progress=_progress_stream(as_json)), as_json)


@remote.command("pull")
@click.argument("name")
@click.argument("paths", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would move; move nothing.")
@click.option("--delete", is_flag=True,
              help="Also delete local files (under PATHS) the remote no longer has.")
@click.option("--json", "as_json", is_flag=True, help="Print what moved as JSON.")
def pull_command(name: str, paths: tuple[str, ...], dry_run: bool, delete: bool,
                 as_json: bool) -> None:
    """Copy PATHS (default: the project, as .gitignore allows) back from the remote.

    Named PATHS are copied even when git ignores them (outputs usually are); they must be
    inside the project.
    """
    from brain.remote.sync import pull

    entry, root, folder = _target(name)
    _show(pull(entry, root, folder, list(paths), dry_run=dry_run, delete=delete,
               progress=_progress_stream(as_json)), as_json)


@remote.command("run")
@click.argument("name")
@click.option("-e", "--entry", "entry", metavar="ENTRY", help="Entry point to run there.")
@click.option("-P", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the local run record as JSON.")
def run_command(name: str, entry: str | None, params: tuple[str, ...], as_json: bool) -> None:
    """Push, run an entry point on the remote, stream it, record it here too.

    brain on the remote builds the environment there when needed. The entry point's output
    streams on stderr; brain exits with its exit code (130 after Ctrl-C, which stops the
    run on the remote first).
    """
    from brain.remote.run import remote_run
    from brain.remote.settings import get_remote

    entry_remote = get_remote(name)
    root = output.project_folder(None)
    result = remote_run(entry_remote, root, entry, list(params), on_event=_note_event)
    record = result.record
    if as_json:
        output.print_json(record.as_dict())
    raise SystemExit(result.exit_code)


@remote.command("lab")
@click.argument("name")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Local port for the tunnel (default: a free one).")
@click.option("--remote-port", type=click.IntRange(1024, 65535), default=None,
              help="Port JupyterLab listens on there (127.0.0.1; default: a random one).")
@click.option("--timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="Seconds to wait for JupyterLab to answer (the environment may be built).")
def lab_command(name: str, port: int, remote_port: int | None, timeout: float) -> None:
    """Push, start JupyterLab on the remote, forward a local port to it; Ctrl-C closes the
    tunnel (the lab keeps running there until `brain remote stop`)."""
    from brain.remote.lab import serve_remote_lab

    entry, root, folder = _target(name)

    def ready(url: str) -> None:
        output.note(f"JupyterLab on {name} (Ctrl-C closes the tunnel; "
                    f"`brain remote stop {name}` stops the lab):")
        output.echo(url)

    code = serve_remote_lab(entry, root, folder, local_port=port, remote_port=remote_port,
                            timeout=timeout, on_ready=ready,
                            on_pushed=lambda pushed: output.note(
                                f"pushed {len(pushed.changes)} changes in "
                                f"{pushed.seconds:.2f}s"))
    output.note(f"tunnel closed (exit {code})")


@remote.command("stop")
@click.argument("name")
def stop(name: str) -> None:
    """Stop what brain started on the remote for this project (JupyterLab, runs)."""
    from brain.remote.lab import stop_remote

    entry, _root, folder = _target(name)
    stopped = stop_remote(entry, folder)
    if not stopped:
        output.echo(f"nothing of brain's runs on {name}")
    for item in stopped:
        output.echo(f"stopped {item.what} (pid {item.pid}) on {name}")


def _target(name: str) -> tuple[Remote, Path, str]:
    """The remote, the local project root, and the project's folder on the remote."""
    from brain.remote.settings import get_remote
    from brain.runs.snapshot import load_snapshot

    entry = get_remote(name)
    snapshot = load_snapshot(output.project_folder(None))
    return entry, snapshot.root, entry.url.folder(snapshot.name)


def _note_event(event: RemoteEvent) -> None:
    """One status line per step of a remote run."""
    where = f"{event.remote}:{event.folder}"
    if event.phase == "pushing":
        output.note(f"pushing to {where}")
    elif event.phase == "pushed":
        output.note(f"pushed {event.changes} changes in {event.seconds:.2f}s")
    elif event.phase == "started":
        output.note(f"run {event.run_id} on {where}")
    elif event.phase == "finished":
        output.note(f"run {event.run_id} {event.status} after {event.seconds:.2f}s (exit "
                    f"{event.exit_code}; remote run {event.remote_run_id or 'not recorded'})")


def _progress_stream(as_json: bool) -> IO[str] | None:
    """Where rsync's progress goes: the terminal (stderr), when there is one."""
    import sys

    return sys.stderr if not as_json and sys.stderr.isatty() else None


def _show(result: SyncResult, as_json: bool) -> None:
    if as_json:
        output.print_json(result.as_dict())
        return
    verb = {"push": "push to", "pull": "pull from"}[result.direction]
    for change in result.changes:
        output.echo(f"{'-' if change.deleted else '+'} {change.path}")
    would = "would move" if result.dry_run else "moved"
    output.note(f"{verb} {result.remote}:{result.folder}: {len(result.changes)} changes "
                f"{would} in {result.seconds:.2f}s")
