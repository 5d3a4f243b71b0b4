"""`brain data add|push|pull|status`: datasets kept out of git, in a cache and on a remote."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.data.service import Moved
    from brain.spec.loader import Project

_PROJECT = click.option("--project", "project_dir", type=click.Path(
    file_okay=False, path_type=Path), default=None, metavar="DIR",
    help="The project folder (default: the one around the current folder).")


def _project(project_dir: Path | None) -> Project:
    from brain.spec.loader import load_project

    return load_project(output.project_folder(project_dir))


@click.group()
def data() -> None:
    """Datasets kept out of git: a pointer file in git, the bytes in a cache and on a remote.

    \b
    Examples:
      brain data add data/train.csv --remote storage
      brain data push
      brain data pull train
      brain data status --json
    """


@data.command("add")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="The dataset's name (default: from the path).")
@click.option("--remote", default=None, help="A remote under data.remotes to push it to.")
@_PROJECT
def add(path: Path, name: str | None, remote: str | None, project_dir: Path | None) -> None:
    """Track a file or folder: its bytes into the cache, `PATH.dvc` (for git) beside it.

    The spec gains the dataset under data.datasets and the folder's .gitignore the path;
    commit both with the pointer file.
    """
    from brain.cli.data_progress import transfer_progress
    from brain.data.service import add as add_dataset

    project = _project(project_dir)
    with transfer_progress("add") as callback:
        added = add_dataset(project, path, name=name, remote=remote, callback=callback)
    what = f"{added.pointer.nfiles} files, " if added.pointer.nfiles is not None else ""
    output.success(f"{added.name}: {added.path} ({what}{_size(added.pointer.size)}) at "
                   f"{added.pointer.md5[:12]}; commit {added.path}.dvc")
    if added.declared:
        output.echo(f"declared {added.name} under data.datasets in {project.spec_file.name}")


@data.command("push")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@_PROJECT
def push(names: tuple[str, ...], project_dir: Path | None) -> None:
    """Copy the recorded version of each dataset (or those named) to its remote."""
    from brain.cli.data_progress import transfer_progress
    from brain.data.service import push as push_datasets

    with transfer_progress("push") as callback:
        moved = push_datasets(_project(project_dir), names, callback)
    _report(moved, "pushed to", "already on")


@data.command("pull")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@_PROJECT
def pull(names: tuple[str, ...], project_dir: Path | None) -> None:
    """Fetch the recorded version of each dataset (or those named) and put it in place.

    Every object is checked against its hash; a dataset whose copy in the project has
    changes in no cache is never overwritten.
    """
    from brain.cli.data_progress import transfer_progress
    from brain.data.service import pull as pull_datasets

    with transfer_progress("pull") as callback:
        moved = pull_datasets(_project(project_dir), names, callback)
    _report(moved, "pulled from", "checked out from")


@data.command("status")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--no-remote", is_flag=True, help="Do not ask the remotes what they hold.")
@_PROJECT
def status(names: tuple[str, ...], as_json: bool, no_remote: bool,
           project_dir: Path | None) -> None:
    """Which datasets are missing, changed, not added, not cached or not pushed."""
    from brain.data.service import status as dataset_status

    found = dataset_status(_project(project_dir), names, remote=not no_remote)
    if as_json:
        output.print_json([item.as_dict() for item in found])
        return
    if not found:
        output.echo("no datasets declared (brain data add PATH starts tracking one)")
        return
    output.table(None, ["dataset", "path", "remote", "version", "status"], [
        [item.name, item.path, item.remote or "-", (item.recorded or "-")[:12],
         ", ".join(item.problems) or "up to date"] for item in found])


def _report(moved: list[Moved], verb: str, idle: str) -> None:
    if not moved:
        output.echo("no datasets with a pointer file (brain data add PATH first)")
    for item in moved:
        if item.copied:
            output.success(f"{item.name}: {item.copied} object(s) {verb} {item.remote}")
        else:
            output.echo(f"{item.name}: {idle} {item.remote}")


def _size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{size} B"


__all__ = ["data"]
