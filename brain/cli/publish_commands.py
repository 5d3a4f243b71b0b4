"""`brain publish`, `brain index serve`, `brain index list`."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brain.cli import output

if TYPE_CHECKING:
    from brain.publish.release import PublishTarget
    from brain.spec.loader import Project


@click.command()
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("--index", "index", metavar="PATH_OR_URL",
              help="A local index folder, or an index's upload URL (default: the local index "
              "under BRAIN_HOME, or the `publish_index` setting).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def publish(project: Path | None, index: str | None, as_json: bool) -> None:
    """Build the library (wheel + sdist) and publish it to a package index.

    A project with a DESCRIPTION is an R package: its source package goes to the index's
    CRAN-like repository (served as /r by `brain index serve`).

    The project must set `build_enabled: true`. A version that is already published is
    refused, never overwritten: bump `version:` to publish again. Uploads use twine; set
    TWINE_USERNAME and TWINE_PASSWORD for an index that needs them.

    \b
    Examples:
      brain publish                                  # to the local index
      brain publish libs/air-forecaster --index http://127.0.0.1:8080/
      brain index serve                              # then pip install from it
    """
    from brain.spec.loader import load_project

    loaded = load_project(output.project_folder(project))
    if (loaded.root / "DESCRIPTION").is_file():  # R needs none of the Python publishing tools
        from brain.publish.release import resolve_target

        _publish_r(loaded, resolve_target(index), as_json)
        return
    from brain.extras import require_extra

    require_extra("publish", "brain publish")
    from brain.publish.release import publish_project, resolve_target

    target = resolve_target(index)
    result = publish_project(loaded, target)
    if as_json:
        output.print_json(result.as_dict())
        return
    for warning in result.warnings:
        output.warn(warning)
    output.success(f"published {result.name} {result.version} to {result.target.shown}")
    for dist in result.files:
        output.echo(f"  {dist.filename}")
    if target.kind == "local":
        output.echo("install it with `brain index serve`, then: pip install --extra-index-url "
                    f"http://127.0.0.1:PORT/simple {result.name}")
        output.echo(f"use it from your projects: list {result.name} in their env.python.pip, "
                    "with `extra_index_urls: [local]` there or "
                    "`brain config set extra_index_urls local` once")


def _publish_r(project: Project, target: PublishTarget, as_json: bool) -> None:
    """An R package: `R CMD build`, then into the local index's CRAN-like repository."""
    from brain.errors import InvalidInput
    from brain.rlang.repository import build_r_package, publish_r_package, r_repository_root

    if target.kind != "local":
        raise InvalidInput("R packages are published to a local index folder only",
                           hint="drop --index URL, or pass an index folder")
    built = build_r_package(project.root)
    index = Path(target.location)
    published = publish_r_package(built, index)
    if as_json:
        output.print_json({"name": built.name, "version": built.version, "kind": "r",
                           "index": str(index), "repository": str(r_repository_root(index)),
                           "files": [{"filename": published.name, "kind": "r-source",
                                      "path": str(published)}]})
        return
    output.success(f"published the R package {built.name} {built.version} to "
                   f"{r_repository_root(index)}")
    output.echo("install it with `brain index serve`, then in R: install.packages("
                f"\"{built.name}\", repos = \"http://127.0.0.1:PORT/r\")")
    output.echo(f"use it from your projects: list {built.name} in their env.r.packages, with "
                "`repos: [local]`")


@click.group()
def index() -> None:
    """The local package index (PEP 503) that `brain publish` writes.

    \b
    Examples:
      brain index list
      brain index serve --port 8080
    """


@index.command("serve")
@click.option("--port", type=int, default=8080, show_default=True,
              help="Port to listen on; 0 picks a free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind to.")
@click.option("--index", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Serve this index folder instead of the local index.")
@click.option("--log", "log_requests", is_flag=True, help="Log every request on stderr.")
def serve(port: int, host: str, folder: Path | None, log_requests: bool) -> None:
    """Serve the local index read-only over HTTP until Ctrl-C.

    \b
    Examples:
      brain index serve
      pip install --extra-index-url http://127.0.0.1:8080/simple air-forecaster
    """
    from brain.publish.index import index_root
    from brain.publish.server import is_loopback, start_server

    root = folder if folder is not None else index_root()
    server = start_server(root, host, port, log=log_requests)
    if not is_loopback(host):
        output.warn(f"serving on {host}: every machine that reaches it can read the index")
    output.echo(f"Serving {root} at {server.url} (Ctrl-C to stop)")
    output.echo(f"  pip install --extra-index-url {server.url} NAME")
    output.echo(f"  R: install.packages(\"NAME\", repos = \"{server.url[:-len('simple')]}r\")")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server is meant to stop
            server.serve_forever()
    finally:
        server.server_close()


@index.command("list")
@click.option("--index", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="List this index folder instead of the local index.")
@click.option("--json", "as_json", is_flag=True, help="Print the index as JSON.")
def list_index(folder: Path | None, as_json: bool) -> None:
    """List the projects and versions in the local index.

    \b
    Examples:
      brain index list
      brain index list --json
    """
    from packaging.version import Version

    from brain.publish.index import LocalIndex

    local = LocalIndex(folder)
    projects = local.projects()
    data = {
        name: sorted({dist.version for dist in files}, key=Version)
        for name, files in projects.items()
    }
    if as_json:
        output.print_json({"index": str(local.root), "url": local.url, "projects": data})
        return
    if not data:
        output.echo(f"the index {local.root} is empty: `brain publish` a project first")
        return
    output.table(f"Index {local.root}", ["project", "versions"],
                 [[name, ", ".join(versions)] for name, versions in data.items()])


__all__ = ["index", "publish"]
