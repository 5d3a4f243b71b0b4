"""(Not tests/mlflow: with tests/ on sys.path that name would shadow the real package.)
A real MLflow tracking server on 127.0.0.1 with a SQLite backend for the whole session,
started from a test-only environment (tests/peer_tools.py) and stopped by its pid.

Skipped when MLflow cannot be installed here, unless BRAIN_REQUIRE_MLFLOW=1 (scripts/test
sets it, so CI never skips silently).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peer_tools import PeerMissing, peer_bin
from tests.run.conftest import free_port
from tests.run.conftest import module_home as module_home  # the fixture, for this folder


def mlflow_bin() -> Path:
    """The bin folder holding `mlflow` (skip, or fail under BRAIN_REQUIRE_MLFLOW=1)."""
    try:
        return peer_bin("mlflow")
    except PeerMissing as error:
        if os.environ.get("BRAIN_REQUIRE_MLFLOW") == "1":
            pytest.fail(f"BRAIN_REQUIRE_MLFLOW=1 but {error}")
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running tracking server (SQLite backend, artifacts in a temp folder)."""
    folder = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [str(mlflow_bin() / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--default-artifact-root", str(folder / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=folder)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the MLflow server did not start: "
                            + (folder / "server.log").read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        # The first API call sets the store up (slow on a loaded machine): not in a test's time.
        rest(url, "experiments/search", {"max_results": 1})
        yield url
    finally:
        # The server and its workers are one process group of our own making.
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(autouse=True)
def patient_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded test machine answers slowly: give each request to the server a minute."""
    monkeypatch.setenv("BRAIN_MLFLOW_TIMEOUT", "60")


def rest(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One call to the server's REST API (GET without a body, POST with one)."""
    request = urllib.request.Request(
        f"{url}/api/2.0/mlflow/{path}", data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="GET" if body is None else "POST")
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def mlflow_run(url: str, run_id: str) -> dict[str, Any]:
    """The run as the server has it: info, data.params/tags/metrics as dicts."""
    run = rest(url, f"runs/get?run_id={run_id}")["run"]
    data = run.get("data", {})
    return {
        "info": run["info"],
        "params": {item["key"]: item["value"] for item in data.get("params", [])},
        "tags": {item["key"]: item["value"] for item in data.get("tags", [])},
        "metrics": {item["key"]: item["value"] for item in data.get("metrics", [])},
    }
