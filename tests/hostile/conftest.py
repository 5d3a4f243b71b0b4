"""Helpers for hostile-input tests: brain as a real subprocess, its peak memory measured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
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


# The child is started from a small helper that forks it for real: a child that the test
# process (hundreds of MB after thousands of tests) starts directly inherits the test
# process's memory high-water mark into its own peak (subprocess uses vfork, and exec records
# the old address space's peak), which would measure pytest, not brain.
_MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "brain", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def brain_process(*args: str, cwd: Path | None = None, timeout: float = 60) -> Measured:
    """Run `python -m brain ARGS` in a child; a hang fails the test after `timeout` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as peak:
        child = subprocess.Popen([sys.executable, "-c", _MEASURE, peak.name, *args], cwd=cwd,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise AssertionError(f"brain {' '.join(args)} did not return in {timeout}s") from None
        out.seek(0)
        text = out.read().decode(errors="replace")
        rss, code = peak.read().split()
    return Measured(int(code), text, int(rss))
