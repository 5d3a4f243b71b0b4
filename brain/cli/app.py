"""The `brain` click application: a lazily loaded, grouped CLI.

Commands are registered by import path so `brain --help` imports no command module (and none
of pydantic, jinja, rich, docker or git): each command module loads only when it runs. The
console script enters through `brain.cli.main`, which answers a few argv forms without click.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

import click

from brain import __version__

# section -> [(name, "module:function", one-line summary)]; summaries live here so that
# listing commands costs no imports.
COMMANDS: dict[str, list[tuple[str, str, str]]] = {
    "Create": [
        ("generate", "brain.cli.generate_commands:generate",
         "Create a project from a template or an existing project."),
        ("templates", "brain.cli.generate_commands:templates", "List the project templates."),
        ("import", "brain.cli.import_commands:import_project",
         "An onebrain.yml from an MLproject, dvc.yaml or notebooks."),
    ],
    "Projects": [
        ("validate", "brain.cli.spec_commands:validate", "Check specs: every problem, located."),
        ("info", "brain.cli.spec_commands:info", "Show a project: metadata, entry points, params."),
        ("schema", "brain.cli.spec_commands:schema", "Print the JSON schema of onebrain.yml."),
    ],
    "Environments": [
        ("setup-deps", "brain.cli.env_commands:setup_deps",
         "Create or refresh the project's environment."),
        ("lock", "brain.cli.env_commands:lock", "Pin dependencies with hashes in onebrain.lock."),
        ("clean", "brain.cli.env_commands:clean", "Remove the project's environment."),
    ],
    "Running": [
        ("run", "brain.cli.run_commands:run", "Run an entry point with typed params; record it."),
        ("check", "brain.cli.check_commands:check",
         "Run the data checks (pandera, data tests) on the files as they are."),
        ("report", "brain.cli.report_commands:report",
         "Notebook reports with provenance: list, open, index."),
    ],
    "Data": [
        ("data", "brain.cli.data_commands:data",
         "Datasets outside git: add, push, pull, status."),
    ],
    "Runs": [
        ("runs", "brain.cli.runs_commands:runs", "The run history: list, show, diff runs."),
        ("store", "brain.cli.store_commands:store",
         "The run store: check it; copy it into a shared PostgreSQL store."),
    ],
    "Workspace": [
        ("list", "brain.cli.workspace_commands:list_projects", "Every project of the workspace."),
        ("graph", "brain.cli.workspace_commands:graph", "Which projects depend on which."),
        ("affected", "brain.cli.workspace_commands:affected",
         "Projects a change touches, dependents included."),
        ("ci", "brain.cli.ci_commands:ci",
         "Continuous evaluation: test, publish and report what a change affects."),
    ],
    "History": [
        ("log", "brain.cli.vcs_commands:log", "Activity feed: commits and runs, newest first."),
        ("sync", "brain.cli.vcs_commands:sync", "Commit, pull (rebase) and push in one go."),
        ("checkout", "brain.cli.vcs_commands:checkout", "A branch at a run's exact commit."),
    ],
    "Publish": [
        ("build", "brain.cli.build_commands:build",
         "Build the library (--wheel) or the Docker image (--docker)."),
        ("publish", "brain.cli.publish_commands:publish",
         "Build the library and publish it to a package index."),
        ("index", "brain.cli.publish_commands:index",
         "The local package index: serve it, list it."),
        ("export", "brain.cli.export_commands:export",
         "A Kubernetes Job or an Airflow DAG running the project image."),
    ],
    "Share": [
        ("generate-url", "brain.cli.share_commands:generate_url",
         "A link that re-runs this exact commit with these params."),
        ("launch", "brain.cli.share_commands:launch",
         "Follow a launch link here: fetch, set up, run, record."),
        ("hub", "brain.cli.hub_commands:hub",
         "The web server behind launch links: pages, logs, apps, accounts."),
    ],
    "Remote work": [
        ("remote", "brain.cli.remote_commands:remote",
         "Work on another machine over SSH: push, pull, run, lab."),
        ("lab", "brain.cli.lab_commands:lab", "JupyterLab on the project's environment."),
        ("kernel", "brain.cli.lab_commands:kernel", "Register the project's Jupyter kernel."),
        ("ide", "brain.cli.ide_commands:ide", "Editor files: VS Code, devcontainer, ssh config."),
    ],
    "Settings": [
        ("config", "brain.cli.config_commands:config", "User settings: package indexes."),
        ("doctor", "brain.cli.doctor_commands:doctor",
         "Check the machine: Python, uv, git, store, Docker."),
    ],
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use and listed in sections."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for section in COMMANDS.values() for name, _, _ in section]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for section in COMMANDS.values():
            for name, target, _ in section:
                if name == cmd_name:
                    module_name, attribute = target.split(":")
                    command: click.Command = getattr(import_module(module_name), attribute)
                    return command
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        for section, commands in COMMANDS.items():
            with formatter.section(section):
                formatter.write_dl([(name, summary) for name, _, summary in commands])


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Examples:\n\n\b\n  brain validate\n  brain setup-deps\n"
    "  brain run -e fit-models -P alpha=0.7\n  brain runs list\n\n"
    "Exit codes: 0 ok, 1 internal error, 2 invalid input, 3 environment failure, "
    "4 busy/lock timeout, 5 a data check failed, 6 reproduced outputs differ, "
    "130 interrupted (Ctrl-C), 143/129 terminated (SIGTERM/SIGHUP); "
    "`brain run` passes the entry point's code through.",
)
@click.version_option(__version__, "--version", prog_name="brain")
@click.option("--debug", is_flag=True, envvar="BRAIN_DEBUG", help="Show tracebacks on errors.")
@click.option(
    "-C",
    "--project",
    "directory",
    type=click.Path(file_okay=False),
    help="Run as if brain was started in DIR.",
    metavar="DIR",
)
def cli(debug: bool, directory: str | None) -> None:
    """brain: validate, set up, run and share data-science projects described by onebrain.yml."""
    if debug:  # the one place the choice lives: brain.settings reads it, children inherit it
        os.environ["BRAIN_DEBUG"] = "1"
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as error:
            raise click.BadParameter(f"cannot enter {directory!r}: {error.strerror}",
                                     param_hint="-C/--project") from None


def help_text() -> str:
    """`brain --help` as click renders it at this terminal's width."""
    context = click.Context(cli, info_name="brain", **cli.context_settings)
    return context.get_help()


def version_text() -> str:
    """`brain --version`."""
    return f"brain, version {__version__}"


def run_cli(args: list[str] | None) -> int:
    """Run the click application on `args`; its exit code (exceptions go to the handler)."""
    import sys

    try:
        code: Any = cli.main(args=args, prog_name="brain", standalone_mode=False)
    except SystemExit:
        # click met EPIPE on stdout and turned it into exit 1 (putting its
        # [_]PacifyFlushWrapper in place; the name varies by version): the reader left
        # (`| head`), the command did not fail.
        if type(sys.stdout).__name__.endswith("PacifyFlushWrapper"):
            raise BrokenPipeError from None
        raise
    return code if isinstance(code, int) else 0


def click_failure(error: BaseException) -> int | None:
    """Show a click usage error, abort or exit the way click would; its exit code, or None."""
    from brain.errors import EXIT_INTERRUPTED

    if isinstance(error, click.exceptions.Abort):
        click.echo("Aborted.", err=True)
        return EXIT_INTERRUPTED
    if isinstance(error, click.UsageError):  # said as brain says every error, with a hint
        from brain.cli import output
        from brain.errors import InvalidInput

        where = error.ctx.command_path if error.ctx is not None else "brain"
        message = error.format_message().rstrip(".")
        output.print_error(InvalidInput(message[:1].lower() + message[1:],
                                        hint=f"`{where} --help` lists what it takes"))
        return error.exit_code
    if isinstance(error, click.ClickException):
        error.show()
        return error.exit_code
    if isinstance(error, click.exceptions.Exit):
        return error.exit_code
    return None
