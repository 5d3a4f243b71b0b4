"""Helpers for hostile-input tests: brain as a real subprocess, its peak memory measured."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# The sharing entry paths (`brain launch`, the hub) are attacked with the same fixtures.
from tests.run.conftest import module_home  # noqa: F401  # fixtures
from tests.share.conftest import launch_python, make_remote, start_hub  # noqa: F401  # fixtures

SENTINEL = "SENTINEL-7f3a-do-not-leak"


@dataclass
class Measured:
    """What a brain subprocess did: exit code, output, and its own peak memory (KiB)."""

    exit_code: int
    output: str
    max_rss_kib: int


def brain_process(*args: str, cwd: Path | None = None, timeout: float = 60) -> Measured:
    """Run `python -m brain ARGS` in a child; a hang fails the test after `timeout` seconds."""
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen([sys.executable, "-m", "brain", *args], cwd=cwd,
                                 stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            # wait4 reports this child's own resource usage (not every child's peak so far)
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                child.wait()
                raise AssertionError(f"brain {' '.join(args)} did not return in {timeout}s")
            time.sleep(0.02)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return Measured(child.returncode, text, usage.ru_maxrss)
