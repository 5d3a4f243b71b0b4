"""Fixtures for `brain run` tests: projects with a real (uv-built) environment, and brain as a
real subprocess for the tests that send it signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# A child that proves what it received: its argv (after the script) as JSON, one file per run.
DUMP_SCRIPT = """
import json, os, sys
from pathlib import Path
out = Path("dumps")
out.mkdir(exist_ok=True)
(out / (os.environ["BRAIN_RUN_ID"] + ".json")).write_text(json.dumps(sys.argv[1:]))
"""

# A child that records its pid and then sleeps (for interruption and kill tests).
SLEEP_SCRIPT = """
import os, sys, time
from pathlib import Path
Path("child.pid.tmp").write_text(str(os.getpid()))
os.replace("child.pid.tmp", "child.pid")
print("sleeping", flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 60)
"""


def build_environment(root: Path) -> None:
    """Build the project's venv with the real backend (uv)."""
    from brain.envs.select import environment_for
    from brain.spec.loader import load_project

    environment_for(load_project(root)).ensure()


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text, dedented) under `root`."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def ready_project(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """make_project + a built environment: ready_project({...}) -> its folder."""

    def make(files: dict[str, str], **kwargs: str) -> Path:
        root = make_project(files, **kwargs)
        build_environment(root)
        return root

    return make


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Isolation for module-scoped fixtures (the autouse `isolated` one is per test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRAIN_HOME", str(tmp_path_factory.mktemp("module-home")))
        patch.setenv("BRAIN_CACHE_DIR", str(Path(os.environ.get(
            "BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache"))))
        yield


def start_brain(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    """`python -m brain ARGS` as a real process, SIGINT-able like a terminal's Ctrl-C.

    SIGINT is reset to its default in the child: a shell that started the test run in the
    background may have set it to "ignored", which Python would inherit and keep.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "brain", *args], cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll `predicate` until true, or fail the test naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_gone(pid: int) -> bool:
    """True when `pid` no longer exists (or is a zombie nobody reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")
