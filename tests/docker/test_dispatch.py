"""The image's dispatcher, run as a real process outside any image (the same code runs inside
one in test_container.py): parsing, help, typed checks, quoting, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from docker_helpers import spec_text

from brain.dispatch import parse_arguments
from brain.errors import InvalidInput

ENTRIES = """\
  echo:
    type: shell
    command: python3 -c "import sys; print(sys.argv[1:])" {{ text }}
    parameters:
      text: {type: str, help: what to print}
      n: {type: int, default: 3, min: 0, max: 10}
  exit with:
    type: bash
    command: exit {{ code }}
    parameters:
      code: {type: int, default: 0}
"""


def dispatch(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BRAIN_PROJECT_DIR": str(root)}
    return subprocess.run([sys.executable, "-I", "-m", "brain.dispatch", *args], cwd=root,
                          env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project({"onebrain.yml": spec_text("dispatch", ENTRIES)})


def test_help_lists_entry_points_and_parameters(project: Path) -> None:
    done = dispatch(project, "--help")
    assert done.returncode == 0
    assert "echo (shell)" in done.stdout and "exit-with (bash)" in done.stdout
    assert "-P text  str, required: what to print" in done.stdout
    assert "-P n     int [0..10], default 3" in done.stdout


def test_one_entry_help(project: Path) -> None:
    done = dispatch(project, "exit_with", "--help")
    assert done.returncode == 0
    assert "exit-with (bash)" in done.stdout and "echo (shell)" not in done.stdout


@pytest.mark.parametrize("value", [
    "$(touch /tmp/brain-pwned)", "; rm -rf /", "it's", '"; echo hi #', "`id`", "x=-1",
    "a\nb", "  spaces  ",
])
def test_values_reach_the_program_verbatim(project: Path, value: str) -> None:
    done = dispatch(project, "echo", "-P", f"text={value}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr([value, "--n", "3"])


def test_option_like_values_are_refused(project: Path) -> None:
    """A text value starting with '-' would be an option of the command: refused (exit 2)."""
    done = dispatch(project, "echo", "-P", "text=-x=1")
    assert done.returncode == 2
    assert "cannot begin with '-'" in done.stderr and done.stdout == ""


def test_exit_code_passes_through(project: Path) -> None:
    assert dispatch(project, "exit-with", "-P", "code=42").returncode == 42


@pytest.mark.parametrize("args, message", [
    (["echo"], "missing required text (str)"),
    (["echo", "-P", "text=x", "-P", "n=11"], "above the maximum 10"),
    (["echo", "-P", "text=x", "-P", "nn=1"], "did you mean 'n'?"),
    (["nope"], "unknown entry point 'nope'"),
    (["echo", "-P"], "-P needs a value"),
    (["echo", "--rm"], "unknown option '--rm'"),
    (["echo", "extra"], "unexpected argument 'extra'"),
    ([], "which entry point?"),
])
def test_bad_input_exits_2_with_one_line(project: Path, args: list[str], message: str) -> None:
    done = dispatch(project, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert "brain info" not in done.stderr  # the image has no brain CLI


def test_dry_run_prints_the_argv(project: Path) -> None:
    done = dispatch(project, "echo", "-P", "text=a b", "--dry-run")
    assert done.returncode == 0
    assert "'a b' --n 3" in done.stdout


def test_parse_arguments_forms() -> None:
    request = parse_arguments(["fit", "-Pa=1", "--param", "b=-2", "--param=c==3"])
    assert (request.entry, request.pairs) == ("fit", ["a=1", "b=-2", "c==3"])
    with pytest.raises(InvalidInput):
        parse_arguments(["--param"])
