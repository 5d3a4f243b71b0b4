"""`brain export kubernetes|airflow`: run the project's image under another scheduler."""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output


@click.group()
def export() -> None:
    """Export a project for another scheduler; both run the image of `brain build --docker`.

    \b
    Examples:
      brain export kubernetes -e fit -P alpha=0.3 | kubectl create -f -
      brain export airflow -o dags/fit_model.py
    """


@export.command("kubernetes")
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("-e", "--entry", metavar="ENTRY", help="Entry point (default: the only one, or "
              "`main`).")
@click.option("-P", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value, checked like `brain run -P` (repeatable).")
@click.option("--image", metavar="REF", help="Image to run (default: the tag `brain build "
              "--docker` gives, namespace/name:version).")
def kubernetes(project: Path | None, entry: str | None, params: tuple[str, ...],
               image: str | None) -> None:
    """Print a Kubernetes Job manifest (YAML) that runs one entry point of the image.

    Resource requests come from `hardware`.
    """
    from brain.export.kubernetes import job_manifest, manifest_yaml
    from brain.params import parse_assignments
    from brain.spec.loader import load_project

    loaded = load_project(output.project_folder(project))
    manifest = job_manifest(loaded, entry, parse_assignments(params), image=image)
    click.echo(manifest_yaml(manifest), nl=False)


@export.command("airflow")
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", "target", type=click.Path(path_type=Path), default=None,
              help="The DAG file to write (default: <name>_dag.py here; `-` prints it).")
@click.option("--image", metavar="REF", help="Image the tasks run (default: the tag `brain "
              "build --docker` gives).")
@click.option("--operator", type=click.Choice(["kubernetes", "docker"]), default="kubernetes",
              show_default=True, help="KubernetesPodOperator or DockerOperator tasks.")
def airflow(project: Path | None, target: Path | None, image: str | None,
            operator: str) -> None:
    """Write an Airflow DAG: one task per entry point, `depends_on` as task order, the
    parameters as DAG params with the spec's types and defaults."""
    from brain.export.airflow import dag_source
    from brain.spec.loader import load_project

    loaded = load_project(output.project_folder(project))
    source = dag_source(loaded, image=image, operator=operator)
    if target is not None and str(target) == "-":
        click.echo(source, nl=False)
        return
    path = target or Path(f"{loaded.spec.name.replace('-', '_').replace('.', '_')}_dag.py")
    try:
        path.write_text(source, encoding="utf-8")
    except OSError as error:
        raise click.FileError(str(path), hint=error.strerror) from None
    output.success(f"wrote {path}")
