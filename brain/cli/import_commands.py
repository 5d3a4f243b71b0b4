"""`brain import`: an onebrain.yml from an MLflow project, a DVC pipeline, pyproject.toml
scripts and tasks, an R project (DESCRIPTION, install.R, renv.lock, scripts), or notebooks."""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output


@click.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path), default=Path("."))
@click.option("--from", "source",
              type=click.Choice(["mlproject", "dvc", "pyproject", "r", "notebooks"]),
              help="What the project is (default: the first found, in this order).")
@click.option("--dry-run", is_flag=True, help="Print the spec instead of writing it.")
@click.option("--force", is_flag=True, help="Replace an existing onebrain.yml.")
def import_project(path: Path, source: str | None, dry_run: bool, force: bool) -> None:
    """Write PATH/onebrain.yml from another tool's project files, and say what it could not
    carry over.

    \b
    Examples:
      brain import                      # MLproject, dvc.yaml, pyproject.toml, R, notebooks
      brain import ../wine --from mlproject --dry-run
    """
    from brain.errors import InvalidInput
    from brain.importers import import_project as read_project
    from brain.importers import spec_text
    from brain.paths import find_spec_file

    imported = read_project(path, source)
    text = spec_text(imported)
    if dry_run:
        output.echo(text.rstrip("\n"))
    else:
        existing = find_spec_file(path)
        if existing is not None and not force:
            raise InvalidInput(f"{existing} exists already",
                               hint="pass --force to replace it, or --dry-run to compare")
        from brain.spec.schema import place_schema

        (path / "onebrain.yml").write_text(text, encoding="utf-8")
        place_schema(path)
        output.success(f"wrote {path / 'onebrain.yml'} from {imported.source} "
                       f"({len(imported.spec['entry_points'])} entry points)")
    for line in imported.unmapped:
        output.warn(f"not imported: {line}")
    if not dry_run:
        from brain.cli.validate_flow import validate_specs

        validate_specs((path,))
