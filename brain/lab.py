"""JupyterLab and Jupyter kernels on a project's own environment.

The kernel is the project's venv Python with ipykernel (added to the venv when missing, at
the pin notebook entry points use), registered by ipykernel's own installer as a kernelspec
named after the project: into `<project>/.brain/jupyter` for `brain lab`, or the user's
Jupyter for `brain kernel install`. JupyterLab itself runs from brain's `lab` extra, on
127.0.0.1 only, with a token.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from brain.errors import EnvironmentFailure

LAB_EXTRA_HINT = "install JupyterLab with brain's lab extra: pip install 'brain-cli[lab]'"


@dataclass(frozen=True)
class Kernel:
    """A registered kernelspec: its name, the folder holding kernel.json, its Python."""

    name: str
    folder: Path
    python: Path


@dataclass(frozen=True)
class LabCommand:
    """How to start JupyterLab for a project: argv, extra environment, and its URL."""

    argv: list[str]
    variables: dict[str, str]
    url: str
    kernel: Kernel


def project_python(root: Path) -> Path:
    """The project environment's Python, built or refreshed first when needed."""
    from brain.envs.select import ensure_environment
    from brain.paths import project_venv_dir

    ensure_environment(root)
    python = project_venv_dir(root) / "bin" / "python"
    if not python.exists():
        raise EnvironmentFailure(f"the project environment has no Python at {python}",
                                 hint="run `brain setup-deps` (the venv backend)")
    return python


def ensure_ipykernel(root: Path, python: Path) -> None:
    """Add ipykernel to the project environment when it lacks it."""
    from brain.process import run_captured, run_checked

    probe = run_captured([str(python), "-c", "import ipykernel"], timeout=60)
    if probe.returncode == 0:
        return
    from brain.entrypoints.notebook import NotebookEntry
    from brain.envs.lock import uv_environment, uv_executable

    run_checked([uv_executable(), "pip", "install", "--quiet", f"--python={python}",
                 NotebookEntry.requirements["ipykernel"]], cwd=root, env=uv_environment(),
                what="adding ipykernel to the project environment")


def install_kernel(root: Path, *, prefix: Path | None = None) -> Kernel:
    """Register the project's kernel: under `prefix` (a Jupyter data prefix), or for the
    user's own Jupyter when None."""
    from brain.process import run_checked
    from brain.runs.snapshot import load_snapshot

    snapshot = load_snapshot(root)
    python = project_python(snapshot.root)
    ensure_ipykernel(snapshot.root, python)
    name = snapshot.name
    where = ["--prefix", str(prefix)] if prefix is not None else ["--user"]
    run_checked([str(python), "-m", "ipykernel", "install", "--name", name,
                 "--display-name", f"{name} (brain)", *where], cwd=snapshot.root,
                what="registering the project's Jupyter kernel")
    if prefix is not None:
        folder = prefix / "share" / "jupyter" / "kernels" / name
    else:
        found = run_checked([str(python), "-c", "from jupyter_core.paths import "
                             "jupyter_data_dir; print(jupyter_data_dir())"],
                            what="finding the user's Jupyter folder")
        folder = Path(found.stdout.strip()) / "kernels" / name
    return Kernel(name, folder, python)


def lab_command(root: Path, *, port: int, token: str | None = None,
                open_browser: bool = False) -> LabCommand:
    """Register the project kernel privately and say how to start JupyterLab on it."""
    from brain.statefs import state_folder

    if importlib.util.find_spec("jupyterlab") is None:
        raise EnvironmentFailure("JupyterLab is not installed where brain runs",
                                 hint=LAB_EXTRA_HINT)
    prefix = state_folder(root.resolve(), "jupyter")  # brain's own state: made safely, marked
    kernel = install_kernel(root, prefix=prefix)
    token = token or secrets.token_urlsafe(24)
    argv = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root.resolve()}",
            f"--MultiKernelManager.default_kernel_name={kernel.name}"]
    if not open_browser:
        argv.append("--no-browser")
    if os.geteuid() == 0:
        # Containers and fresh boxes often have only root; JupyterLab refuses it unasked.
        argv.append("--allow-root")
    variables = {"JUPYTER_PATH": str(prefix / "share" / "jupyter"), "JUPYTER_TOKEN": token}
    return LabCommand(argv, variables, f"http://127.0.0.1:{port}/lab?token={token}", kernel)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_lab(port: int, token: str, *, timeout: float,
                 alive: Callable[[], bool] | None = None) -> bool:
    """Poll `/api/status` on 127.0.0.1:`port` until it answers 200 (True) or `timeout`.
    `alive`, when given, is a callable saying whether the server's process still lives."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/status"
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
        # Not answering yet (refused, reset, timed out): ask again until the deadline.
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=2) as answer:
            if answer.status == 200:
                return True
        time.sleep(0.3)
    return False
