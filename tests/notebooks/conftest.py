"""Notebook tests share one real project: a git repository whose uv environment (with the
papermill, nbconvert and ipykernel brain adds) is built once per module, since building it
is the slow part."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.run.conftest import build_environment, module_home, write_files

__all__ = ["module_home", "notebook_json", "run_brain"]


def notebook_json(*cells: tuple[str, str, list[str]]) -> str:
    """A notebook from (cell type, source, tags) triples."""
    return json.dumps({
        "cells": [{"cell_type": kind, "metadata": {"tags": tags} if tags else {},
                   "source": source, "id": f"cell-{index}",
                   **({"execution_count": None, "outputs": []} if kind == "code" else {})}
                  for index, (kind, source, tags) in enumerate(cells)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }, indent=1)


REPORT = notebook_json(
    ("markdown", "# A report", []),
    ("code", 'days = 7\nlabel = "default"\nds = "2024-01-01"\nscale = 1.0\nfull = False',
     ["parameters"]),
    ("code", "print(f'injected: days={days!r} ds={ds!r} scale={scale!r} full={full!r}')\n"
             "print('label:', label)", []),
)

BROKEN = notebook_json(
    ("code", "x = 1", ["parameters"]),
    ("code", "print('before the failure', x)", []),
    ("code", "raise ValueError(f'bad x {x}')", []),
    ("code", "print('never reached')", []),
)

CONFIGURED = notebook_json(
    ("code", "settings = {}\ncolumns = []", ["parameters"]),
    ("code", "import json\nprint('settings:', type(settings).__name__, json.dumps(settings))\n"
             "print('columns:', type(columns).__name__, json.dumps(columns))", []),
)

SPEC = """
name: reports
version: 0.1.0
entry_points:
  report:
    type: notebook
    notebook: notebooks/report.ipynb
    parameters:
      days: {type: int, default: 7}
      label: {type: str, default: default}
      ds: {type: date, default: 2024-01-01}
      scale: {type: float, default: 1.0}
      full: {type: bool, default: false}
  configured:
    type: notebook
    notebook: notebooks/configured.ipynb
    parameters:
      settings: {type: json, default: {layers: [8, 4], dropout: null, name: "x"}}
      columns: {type: json, default: '["a", "b"]'}
  broken:
    type: notebook
    notebook: notebooks/broken.ipynb
    parameters:
      x: {type: int, default: 1}
"""


@pytest.fixture(scope="module")
def notebook_project(tmp_path_factory: pytest.TempPathFactory,
                     module_home: None) -> Iterator[Path]:
    """The shared project, committed to git, its environment built."""
    root = write_files(tmp_path_factory.mktemp("notebooks"), {
        "onebrain.yml": SPEC, "notebooks/report.ipynb": REPORT,
        "notebooks/broken.ipynb": BROKEN, "notebooks/configured.ipynb": CONFIGURED})
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    for argv in (["git", "init", "-q"], ["git", "add", "-A"], [*git, "commit", "-q", "-m", "x"]):
        subprocess.run(argv, cwd=root, check=True, capture_output=True)
    build_environment(root)
    yield root


def run_brain(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m brain ARGS` as a real process (usable from module-scoped fixtures)."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "brain", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
