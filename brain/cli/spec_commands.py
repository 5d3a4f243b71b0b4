"""`brain validate`, `brain info`, `brain schema`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    from brain.cli.validate_flow import validate_specs

    validate_specs(paths, as_json=as_json)


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

    project = load_project(output.project_folder(path))
    data = describe_project(project)
    if as_json:
        output.print_json(data)
        return
    output.echo(f"{data['namespace']}/{data['name']} {data['version']}")
    details = [
        ("", data["description"]),
        ("path", data["path"]),
        ("tags", ", ".join(data["tags"])),
        ("authors", ", ".join(data["authors"])),
        ("python", _python_line(data)),
        ("hardware", ", ".join(f"{k} {v}" for k, v in data["hardware"].items() if v)),
        ("build", "enabled" if data["build_enabled"] else ""),
    ]
    for label, text in details:
        if text:
            output.echo(f"  {label}: {text}" if label else f"  {text}")
    if not data["entry_points"]:
        output.echo("no entry points")
        return
    output.echo("")
    rows = []
    for name, entry in data["entry_points"].items():
        after = f" (after {', '.join(entry['depends_on'])})" if entry["depends_on"] else ""
        output.echo(f"{name} [{entry['type']}]{after}: {' '.join(entry['runs'].split())}")
        if entry["description"]:
            output.echo(f"    {entry['description']}")
        for param_name, param in entry["parameters"].items():
            rows.append([name, param_name, _param_type(param), _param_default(param),
                         param["help"] or ""])
    if rows:
        output.echo("")
        output.table("Parameters", ["entry", "parameter", "type", "default", "help"], rows)


def _python_line(data: dict[str, Any]) -> str:
    requirements = data["requirements"]
    shown = ", ".join(requirements[:4]) + (", ..." if len(requirements) > 4 else "")
    return f"{data['python'] or 'any version'}" + (f"; pip: {shown}" if requirements else "")


def _param_type(param: dict[str, Any]) -> str:
    from brain.params import format_value

    if param["choices"]:
        return f"choice ({' | '.join(format_value(c) for c in param['choices'])})"
    low, high = param["min"], param["max"]
    if low is None and high is None:
        return str(param["type"])
    return f"{param['type']} [{_bound(low, '-inf')}, {_bound(high, 'inf')}]"


def _bound(value: float | None, missing: str) -> str:
    if value is None:
        return missing
    return str(int(value)) if float(value).is_integer() else str(value)


def _param_default(param: dict[str, Any]) -> str:
    from brain.params import format_value

    return "(required)" if param["required"] else format_value(param["default"])


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


__all__ = ["info", "schema", "validate"]
