"""Ctrl-C while an input check runs: the check is stopped, the entry point never starts, the
run is recorded `interrupted` and brain exits 130."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.run.conftest import build_environment, start_brain, wait_for

pytestmark = pytest.mark.slow

SPEC = """\
name: slow-checks
version: 0.1.0
entry_points:
  main:
    type: python
    script: run.py
    checks:
      - {tests: checks/test_slow.py, when: before}
"""

SLOW = """\
import pathlib, time

def test_slowly():
    pathlib.Path("check-started").write_text("yes")
    time.sleep(120)
"""


def test_ctrl_c_during_an_input_check_stops_the_run_before_it_starts(
        make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": SPEC, "checks/test_slow.py": SLOW,
                         "run.py": "open('entry-ran', 'w').write('yes')\n"})
    build_environment(root)
    child = start_brain("run", str(root), "-e", "main")
    try:
        wait_for(lambda: (root / "check-started").exists(), timeout=120,
                 what="the check to start")
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, stderr
    assert not (root / "entry-ran").exists()
    listed = subprocess.run([sys.executable, "-m", "brain", "runs", "list", "--json"],
                            capture_output=True, text=True, check=True)
    (record,) = json.loads(listed.stdout)
    assert record["status"] == "interrupted"
