"""`brain validate`, `brain info`, `brain schema`."""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output
from brain.errors import InvalidInput


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Validate specs: a spec file, a project folder, or every spec under a folder tree.

    Every problem is reported at once, one line each, as file:line:col: field: message.
    Exits 2 when any spec is invalid.

    \b
    Examples:
      brain validate                    # the project in the current folder (or below it)
      brain validate onebrain.yml
      brain validate projects/          # every spec in a monorepo
    """
    from brain.spec.loader import display_path
    from brain.spec.validation import validate_paths

    report = validate_paths(list(paths) or [Path.cwd()])
    if as_json:
        output.print_json(report.as_dict())
    else:
        for result in report.results:
            if result.problems:
                for line in result.problems:
                    output.echo(line, err=True)
            else:
                output.success(f"ok: {display_path(result.spec_file)}")
        if len(report.results) > 1 or report.invalid:
            output.echo(
                f"{len(report.results)} spec(s) checked: {report.valid} valid, "
                f"{report.invalid} invalid"
            )
    if report.invalid:
        raise SystemExit(2)


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the project as JSON.")
def info(path: Path | None, as_json: bool) -> None:
    """Show a project: metadata, entry points, their parameters, types, defaults and help.

    \b
    Examples:
      brain info
      brain info examples/fit-model --json
    """
    from brain.spec.loader import load_project
    from brain.spec.summary import describe_project

    project = load_project(_project_path(path))
    data = describe_project(project)
    if as_json:
        output.print_json(data)
        return
    title = f"{data['namespace']}/{data['name']} {data['version']}"
    output.echo(title)
    if data["description"]:
        output.echo(f"  {data['description']}")
    output.echo(f"  path: {data['path']}")
    if data["tags"]:
        output.echo(f"  tags: {', '.join(data['tags'])}")
    if data["python"] or data["requirements"]:
        output.echo(f"  python: {data['python'] or 'any'}; "
                    f"{len(data['requirements'])} requirement(s)")
    rows = []
    for name, entry in data["entry_points"].items():
        params = entry["parameters"] or {"": None}
        for index, (param_name, param) in enumerate(params.items()):
            first = index == 0
            rows.append([
                name if first else "",
                entry["type"] if first else "",
                param_name,
                param["type"] if param else "",
                ("(required)" if param["required"] else repr(param["default"])) if param else "",
                (param["help"] or "") if param else "",
            ])
    output.table("Entry points", ["entry", "type", "parameter", "type", "default", "help"], rows)


@click.command()
@click.option("--output", "-o", "target", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to FILE instead of printing it.")
def schema(target: Path | None) -> None:
    """Print the JSON schema of onebrain.yml (for editors' YAML language server).

    \b
    Examples:
      brain schema > onebrain.schema.json
      brain schema -o onebrain.schema.json
    """
    from brain.spec.schema import schema_text

    text = schema_text()
    if target is None:
        click.echo(text, nl=False)
        return
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot write {target}: {error.strerror}") from None
    output.success(f"wrote {target}")


def _project_path(path: Path | None) -> Path:
    from brain.paths import find_project_root

    if path is not None:
        return path
    root = find_project_root(Path.cwd())
    if root is None:
        raise InvalidInput("no onebrain.yml here or in any parent folder",
                           hint="pass a project folder, or run `brain generate` to create one")
    return root


__all__ = ["info", "schema", "validate"]
