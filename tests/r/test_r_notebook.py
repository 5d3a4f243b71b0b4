"""R notebooks (`kernel: ir`): papermill runs them with IRkernel in the project's
environment, parameters injected, R's library path led by the project library, and the
HTML report rendered like a Python notebook's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import brain_process, ok

pytestmark = pytest.mark.slow

SPEC = """
name: rnb
version: 0.1.0
entry_points:
  report:
    type: notebook
    notebook: notebooks/eval.ipynb
    kernel: ir
    parameters:
      horizon: {type: int, default: 7}
      label: {type: str, default: "x"}
env:
  r:
    packages: {jsonlite: "*"}
"""


def _cell(source: str, tags: list[str] | None = None) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {"tags": tags or []}, "source": source,
            "outputs": [], "execution_count": None}


def _notebook() -> str:
    return json.dumps({
        "cells": [
            _cell('horizon <- 1L\nlabel <- "default"', ["parameters"]),
            _cell("cat('horizon squared:', horizon^2, class(horizon), '\\n')\n"
                  "cat('label:', label, '\\n')\n"
                  "cat('first library:', .libPaths()[1], '\\n')\n"),
        ],
        "metadata": {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
                     "language_info": {"name": "R"}},
        "nbformat": 4, "nbformat_minor": 5})


def test_an_r_notebook_runs_with_parameters_and_renders(make_project) -> None:  # type: ignore[no-untyped-def]
    root: Path = make_project({"onebrain.yml": SPEC, "notebooks/eval.ipynb": _notebook()})
    ok(brain_process("setup-deps", cwd=root))
    output = ok(brain_process("run", "-e", "report", "-P", "horizon=3", "-P", "label=it's",
                              cwd=root))
    assert "horizon squared: 9 numeric" in output  # papermill writes R numbers
    assert "label: it's" in output
    library = str((root / ".brain" / "r-library").resolve())
    assert f"first library: {library}" in output
    reports = list((root / ".brain" / "reports").glob("*/eval.html"))
    assert len(reports) == 1
    assert "horizon squared: 9" in reports[0].read_text()


def test_a_kernel_name_is_checked(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": SPEC.replace("kernel: ir", "kernel: 'ir; rm -rf /'"),
                         "notebooks/eval.ipynb": _notebook()})
    result = brain("validate", str(root))
    assert result.exit_code == 2
    assert "is not a Jupyter kernel name" in result.output
    other = make_project({"onebrain.yml": """
        name: wrong
        version: 0.1.0
        entry_points:
          main: {type: r, script: main.R, kernel: ir}
        """})
    result = brain("validate", str(other))
    assert result.exit_code == 2 and "kernel" in result.output
