"""MLflow-style `{alpha}` placeholders are caught at validate; other braces are left alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

SPEC = """
name: braces
version: 0.1.0
entry_points:
  main:
    type: bash
    command: {command}
    parameters:
      alpha: {{type: float, default: 0.5}}
"""


@pytest.mark.parametrize("command", [
    "'echo ${alpha} {{ alpha }}'",  # a shell variable
    "'echo {other} {{ alpha }}'",  # not a parameter: a literal brace (e.g. a format string)
    "'echo {{ alpha }} {{ \"{\" }}x}'",
    "\"python -c 'print({1: 2})' {{ alpha }}\"",
])
def test_braces_that_are_not_placeholders_pass(brain: Callable[..., Result],
                                               make_project: Callable[..., Path],
                                               command: str) -> None:
    project = make_project({"onebrain.yml": SPEC.format(command=command)})
    result = brain("validate", str(project))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["'python train.py --alpha {alpha}'",
                                     "'python train.py --alpha { alpha }'"])
def test_an_mlflow_placeholder_is_a_located_problem(brain: Callable[..., Result],
                                                    make_project: Callable[..., Path],
                                                    command: str) -> None:
    project = make_project({"onebrain.yml": SPEC.format(command=command)})
    result = brain("validate", str(project))
    assert result.exit_code == 2
    assert "onebrain.yml:6:14: entry_points.main.command: {alpha} is MLflow's placeholder" \
        in result.stderr
    assert "brain's is {{ alpha }}" in result.stderr
