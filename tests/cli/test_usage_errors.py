"""A command line click cannot read is an error in brain's own style: `error: ...` and a hint
naming the command's help, exit 2 (not click's Usage/Try/Error block)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(("argv", "said", "command"), [
    (["affected"], "error: missing option '--since'", "brain affected"),
    (["runs", "show"], "error: missing argument 'ID'", "brain runs show"),
    (["run", "--bogus"], "error: no such option '--bogus'", "brain run"),
])
def test_usage_errors_speak_brain(argv: list[str], said: str, command: str) -> None:
    done = subprocess.run([sys.executable, "-m", "brain", *argv], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [said, f"hint: `{command} --help` lists what it takes"]
