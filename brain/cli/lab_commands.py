"""`brain lab` and `brain kernel install`: JupyterLab and Jupyter kernels on the project's
own environment."""

from __future__ import annotations

import click

from brain.cli import output


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8888, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def lab(port: int, no_browser: bool) -> None:
    """JupyterLab on 127.0.0.1 with the project's environment as its kernel.

    The kernel is registered under .brain/jupyter as a kernelspec named after the project
    (ipykernel is added to the environment when missing). Needs brain's lab extra:
    pip install 'brain-cli[lab]'. JUPYTER_TOKEN, when set, is the token; else a new one.

    \b
    Examples:
      brain lab
      brain lab --port 9999 --no-browser
    """
    import os

    from brain.lab import free_port, lab_command
    from brain.process import run_live, scrubbed_environment

    root = output.project_folder(None)
    command = lab_command(root, port=port or free_port(), token=os.environ.get("JUPYTER_TOKEN"),
                          open_browser=not no_browser)
    output.note(f"kernel {command.kernel.name}: {command.kernel.python}")
    output.note(f"JupyterLab at {command.url} (Ctrl-C stops it)")
    code, stopped_by = run_live(command.argv, cwd=root,
                                 env=scrubbed_environment(command.variables))
    raise SystemExit(128 + stopped_by if stopped_by else code)


@click.group()
def kernel() -> None:
    """Jupyter kernels on the project's environment."""


@kernel.command("install")
@click.option("--json", "as_json", is_flag=True, help="Print the kernel as JSON.")
def install(as_json: bool) -> None:
    """Register the project's environment as a kernel of your own Jupyter.

    \b
    Example:
      brain kernel install     # then pick "<project> (brain)" in Jupyter
    """
    from brain.lab import install_kernel

    found = install_kernel(output.project_folder(None))
    if as_json:
        output.print_json({"name": found.name, "folder": str(found.folder),
                           "python": str(found.python)})
        return
    output.success(f"kernel {found.name} registered in {found.folder} ({found.python})")
