"""(Not tests/ray: with tests/ on sys.path that name would shadow the real `ray` package.)
A real one-node Ray cluster on 127.0.0.1 for the whole session, started with `ray start
--head` in a temporary folder and stopped by ending exactly the processes it started.

Skipped when Ray is not installed, unless BRAIN_REQUIRE_RAY=1 (scripts/test sets it, so CI
never skips silently).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.run.conftest import free_port


def _ray_command() -> str | None:
    found = Path(sys.executable).parent / "ray"
    return str(found) if found.exists() else shutil.which("ray")


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard address of a running cluster of 2 CPUs."""
    ray = _ray_command()
    if ray is None:
        if os.environ.get("BRAIN_REQUIRE_RAY") == "1":
            pytest.fail("BRAIN_REQUIRE_RAY=1 but Ray is not installed "
                        "(pip install 'brain-cli[ray]')")
        pytest.skip("Ray is not installed")
    # A short path: Ray's socket names must fit in 107 bytes.
    folder = Path(tmp_path_factory.mktemp("ray")).resolve()
    temp = Path(f"/tmp/brain-ray-{os.getpid()}")
    shutil.rmtree(temp, ignore_errors=True)
    dashboard = free_port()
    ports = {name: str(free_port()) for name in (
        "--port", "--ray-client-server-port", "--dashboard-agent-listen-port",
        "--dashboard-agent-grpc-port", "--metrics-export-port", "--runtime-env-agent-port",
        "--node-manager-port", "--object-manager-port")}
    low = 20000 + (os.getpid() % 200) * 100
    argv = [ray, "start", "--head", "--node-ip-address", "127.0.0.1",
            "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dashboard),
            "--num-cpus", "2", "--include-dashboard", "true", "--temp-dir", str(temp),
            "--disable-usage-stats", "--min-worker-port", str(low),
            "--max-worker-port", str(low + 99),
            *(item for pair in ports.items() for item in pair)]
    # An environment that cannot be built fails at once: pip gives up on an unreachable
    # index without its 5 retries and Ray does not build it 3 times (the unbuildable-
    # environment test waited 2 minutes for both). Every index these tests reach is local.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PIP_RETRIES": "0",
           "PIP_TIMEOUT": "5", "RUNTIME_ENV_RETRY_TIMES": "1"}
    session = 0
    try:
        # Ray gives its raylet 30 s to register (hard-coded): on a loaded machine the first
        # start can miss that, so a failed start is cleaned up and tried once more.
        for attempt in (1, 2):
            # Its own session: every process of this cluster carries the session id of `ray
            # start`, so the teardown ends those and nothing else (`ray stop` would stop
            # every cluster on the machine).
            starter = subprocess.Popen(argv, cwd=folder, env=env, start_new_session=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True)
            session = starter.pid
            out, _ = starter.communicate(timeout=240)
            if starter.returncode == 0:
                break
            _end_session(session)
            shutil.rmtree(temp, ignore_errors=True)
            if attempt == 2:
                pytest.fail(f"ray start failed:\n{out[-3000:]}")
        address = f"http://127.0.0.1:{dashboard}"
        _wait_for_jobs_api(address)
        yield address
    finally:
        _end_session(session)
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_jobs_api(address: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{address}/api/version", timeout=5) as answer:
                json.loads(answer.read())
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _session_members(session: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _end_session(session: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _session_members(session):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 15
        while _session_members(session) and time.monotonic() < deadline:
            time.sleep(0.2)
