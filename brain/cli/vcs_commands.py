"""`brain log`, `brain sync`, `brain checkout`: a project's history and git round trips.

Exit codes: 2 for usage problems (not a git repository, unknown run, dirty tree, detached
HEAD, a rebase already in progress); 3 when git itself fails (a sync conflict, a rejected
push, an unreachable remote).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from brain.cli import output
from brain.cli.output import short_run_ids
from brain.errors import InvalidInput


@click.command()
@click.argument("project", required=False)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=20, show_default=True,
              help="Show at most this many lines.")
@click.option("--json", "as_json", is_flag=True, help="Print the feed as JSON.")
def log(project: str | None, limit: int, as_json: bool) -> None:
    """Show a project's activity: commits touching its folder and its runs, newest first.

    PROJECT is a project folder or a `namespace/name` of the workspace; by default the
    project around the current folder, else the whole workspace (every commit, every run).

    \b
    Examples:
      brain log
      brain log forecasting/demand --limit 50
      brain log projects/demand --json
    """
    from brain.runs.activity import activity

    folder, key = _target(project)
    items = activity(folder, key, limit=limit)
    if as_json:
        output.print_json([item.as_dict() for item in items])
        return
    if not items:
        output.echo(f"no commits or runs yet for {key or folder}", err=True)
        return
    rows = []
    short = short_run_ids([item.id for item in items if item.kind != "commit"])
    for item in items:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.time))
        if item.kind == "commit":
            rows.append([when, "commit", item.detail["short"], item.who, item.title])
        else:
            code = item.detail["code"]
            exit_code = item.detail["exit_code"]
            status = f" (exit {exit_code})" if exit_code not in (None, 0) else ""
            rows.append([when, "run", short[item.id], item.who,
                         f"{item.title}{status} @ {code}"])
    output.table(None, ["when", "what", "id", "who", "summary"], rows, no_wrap=("id",))


def _target(project: str | None) -> tuple[Path, str | None]:
    """The folder whose commits to show and the `namespace/name` whose runs to show."""
    from brain.paths import find_project_root
    from brain.workspace.discovery import find_workspace_root

    root = find_workspace_root(Path.cwd())
    if project is None:
        found = find_project_root(Path.cwd())
        if found is None or not _within(found, root):
            return root, None
        return found, _key_of(found)
    candidate = Path(project)
    if candidate.is_dir():
        if not _within(candidate, root):
            raise InvalidInput(f"{project} is outside the workspace {root}",
                               hint="pass a project folder inside the workspace, or use -C")
        from brain.paths import find_spec_file

        if find_spec_file(candidate) is None:
            if candidate.resolve() == root:
                return root, None
            raise InvalidInput(f"no onebrain.yml in {project}",
                               hint="pass a project folder or a namespace/name")
        return candidate.resolve(), _key_of(candidate)
    from brain.workspace.index import find_project, load_index

    entry = find_project(load_index(root), project)
    return root / entry.path, entry.key


def _within(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    return resolved == root or root in resolved.parents


def _key_of(folder: Path) -> str:
    from brain.spec.loader import load_project

    spec = load_project(folder).spec
    return f"{spec.namespace}/{spec.name}"


@click.command()
@click.option("--message", "-m", metavar="MESSAGE",
              help="The commit message (default: 'brain sync' and the time).")
@click.option("--merge", is_flag=True, help="Merge the upstream instead of rebasing onto it.")
def sync(message: str | None, merge: bool) -> None:
    """Commit every change, pull the upstream's commits, push: one round trip.

    Changes are committed first (per-project .brain/ state never is), so nothing can be
    lost. On a conflict the rebase (or merge) is undone, leaving the tree as it was, and
    brain says how to resolve it by hand; that exits 3.

    \b
    Examples:
      brain sync -m "try a smaller alpha"
      brain sync --merge
    """
    from brain.vcs.sync import sync as run_sync

    result = run_sync(Path.cwd(), message, strategy="merge" if merge else "rebase")
    if result.committed:
        output.echo(f"committed {result.committed[:8]} on {result.branch}")
    if result.pulled:
        output.echo(f"pulled {result.pulled} commit(s) from {result.upstream}")
    for note in result.notes:
        output.warn(note)
    if result.pushed:
        output.success(f"pushed {result.branch} to {result.upstream}")
    elif not result.committed and not result.pulled:
        output.echo("nothing to commit and nowhere to push")


@click.command()
@click.argument("run_id", metavar="RUN_ID")
@click.option("--project", "elsewhere", is_flag=True,
              help="Switch the repository the run's project is in, even when it is not the "
              "one around the current folder.")
def checkout(run_id: str, elsewhere: bool) -> None:
    """Put the code back as it was for a run, on a new branch `brain/run-RUN_ID`, and its
    datasets as the run saw them (from the cache, else their remote).

    Refuses when the working tree has uncommitted changes; warns when the run itself had
    uncommitted changes (the branch then holds its last commit, not exactly what it ran).

    \b
    Examples:
      brain checkout 18c2f3a9b1
      brain checkout 18c2f3a9b1 --project   # the run's repository, from anywhere
      git switch -    # back to where you were
    """
    from brain.runs.history import find_runs
    from brain.vcs.sync import checkout_run

    (run,) = find_runs(run_id, reconcile=False)
    versions = run.extra.get("data")
    if isinstance(versions, dict) and versions and Path(run.project_path).is_dir():
        from brain.data.run_data import check_restorable

        check_restorable(Path(run.project_path), versions)
    result = checkout_run(run, Path.cwd(), elsewhere=elsewhere)
    verb = "switched to new branch" if result.created else "switched to branch"
    output.success(f"{verb} {result.branch} at {result.commit[:8]} in {result.repository} "
                   f"(run {run.id}: {run.entry_point}, {run.status})")
    if result.run_was_dirty:
        output.warn(f"run {run.id} ran with uncommitted changes: this is its last commit, "
                    "not exactly the code it ran (use `brain run --commit` next time)")
    if isinstance(versions, dict) and versions:
        from brain.cli.data_progress import transfer_progress
        from brain.data.run_data import restore_run_data

        with transfer_progress("data") as callback:
            restored = restore_run_data(Path(run.project_path), versions, callback)
        if restored:
            output.success(f"data restored as run {run.id} saw it: {', '.join(restored)}")


__all__ = ["checkout", "log", "sync"]
