"""`brain ide`: editor files for the project (VS Code, devcontainer) and ssh config."""

from __future__ import annotations

import click

from brain.cli import output


@click.group()
def ide() -> None:
    """Editor and remote-editing configuration.

    \b
    Examples:
      brain ide vscode
      brain ide ssh-config box >> ~/.ssh/config
    """


@ide.command("vscode")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def vscode(as_json: bool) -> None:
    """Write or merge .vscode/settings.json, .vscode/launch.json (one configuration per
    entry point, with its default parameters) and .devcontainer/devcontainer.json.

    Keys and configurations already there are kept; a file with comments is refused.
    """
    from brain.ide import write_vscode_files

    written = write_vscode_files(output.project_folder(None))
    if as_json:
        output.print_json([{"path": str(item.path), "action": item.action,
                            "added": list(item.added)} for item in written])
        return
    for item in written:
        added = f": {', '.join(item.added)}" if item.added else ""
        output.echo(f"{item.action} {item.path}{added}")


@ide.command("ssh-config")
@click.argument("name")
def ssh_config(name: str) -> None:
    """Print an ssh `Host` block for remote NAME (append it to ~/.ssh/config)."""
    from brain.ide import ssh_config_block
    from brain.remote.settings import get_remote

    click.echo(ssh_config_block(get_remote(name)), nl=False)
