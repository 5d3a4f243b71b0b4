"""`brain config`: user settings (package indexes, publish target) and every BRAIN_* variable."""

from __future__ import annotations

import click

from brain.cli import output


@click.group(invoke_without_command=True)
@click.pass_context
def config(ctx: click.Context) -> None:
    """Show or change user settings, kept in BRAIN_HOME/config.toml.

    \b
    Examples:
      brain config list
      brain config set extra_index_urls local http://127.0.0.1:8080/simple
      brain config get index_url
      brain config unset index_url
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_settings)


@config.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def list_settings(as_json: bool = False) -> None:
    """Every setting brain reads: the config file's keys and the BRAIN_* environment
    variables, with the value in force, where it came from (default, env, config file) and
    what it means. --json: {"file", "settings": [{"key", "value", "source", "meaning",
    "kind", "set_with"}]}, `key` as `brain config get/set` take it."""
    from brain.config import config_path, describe

    shown = describe()
    if as_json:
        # One object per setting, named like the table's columns (docs/settings.md).
        output.print_json({"file": str(config_path()),
                           "settings": [item.as_dict() for item in shown]})
        return
    rows = [[item.key, _shown(item.value), item.source, item.meaning] for item in shown]
    output.table(f"Settings ({config_path()})", ["key", "value", "source", "meaning"], rows)


@config.command("get")
@click.argument("key")
def get(key: str) -> None:
    """Print one setting's value (one line per item for a list); nothing when unset."""
    from brain.config import get_setting, shown_value

    value = shown_value(key, get_setting(key))
    if value is None:
        return
    for item in value if isinstance(value, list) else [value]:
        output.echo(item)


@config.command("set")
@click.argument("key")
@click.argument("values", nargs=-1, required=True)
def set_(key: str, values: tuple[str, ...]) -> None:
    """Set a setting; a list setting takes every VALUE given (replacing the old list)."""
    from brain.config import set_setting, shown_value

    stored = set_setting(key, list(values))
    output.success(f"{key} = {_shown(shown_value(key, stored))}")


@config.command("unset")
@click.argument("key")
def unset(key: str) -> None:
    """Remove a setting, so its default applies again."""
    from brain.config import unset_setting

    if unset_setting(key):
        output.success(f"{key} unset")
    else:
        output.echo(f"{key} was not set")


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(unset)"
    return " ".join(value) if isinstance(value, list) else str(value)


__all__ = ["config"]
