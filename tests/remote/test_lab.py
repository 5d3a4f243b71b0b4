"""`brain kernel install`, `brain lab` and `brain remote lab`, checked through JupyterLab's
REST API: the project kernel is listed and a kernel started from it runs the project's own
Python."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brain.lab import free_port
from tests.conftest import Result
from tests.remote.conftest import Sshd, jupyter_folders

Brain = Callable[..., Result]
BRAIN = str(Path(sys.executable).parent / "brain")
pytestmark = pytest.mark.slow
pytest.importorskip("jupyterlab", reason="JupyterLab comes with brain's lab and test extras")


@pytest.fixture(autouse=True)
def jupyter_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in jupyter_folders(tmp_path / "jupyter").items():
        monkeypatch.setenv(name, value)
    return tmp_path / "jupyter"


def api(port: int, token: str, path: str, *, method: str = "GET",
        body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def wait_until(check: Callable[[], bool], *, timeout: float, what: str,
               process: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited: {process.communicate()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def answers(port: int, token: str) -> bool:
    try:
        api(port, token, "/api/status")
    except OSError:
        return False
    return True


def kernel_python(kernel_id: str) -> str:
    """argv[0] of the process running kernel `kernel_id` (found through /proc)."""
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"ipykernel_launcher" in arg for arg in argv) and \
                any(kernel_id.encode() in arg for arg in argv):
            return argv[0].decode()
    raise AssertionError(f"no process runs kernel {kernel_id}")


def check_project_kernel(port: int, token: str, name: str, python: Path) -> None:
    specs = api(port, token, "/api/kernelspecs")
    assert name in specs["kernelspecs"], specs
    assert specs["default"] == name
    kernel = api(port, token, "/api/kernels", method="POST", body={"name": name})
    wait_until(lambda: Path(kernel_python(kernel["id"])).exists(), timeout=60,
               what="the kernel process")
    assert kernel_python(kernel["id"]) == str(python)
    api_delete = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels/{kernel['id']}",
                                        method="DELETE",
                                        headers={"Authorization": f"token {token}"})
    urllib.request.urlopen(api_delete, timeout=30).close()


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_kernel_install_registers_the_project_python(brain: Brain, project: Path,
                                                     jupyter_home: Path) -> None:
    result = brain("kernel", "install", "--json", cwd=project)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["name"] == "demo"
    spec = json.loads((jupyter_home / "data" / "kernels" / "demo" / "kernel.json").read_text())
    assert spec["argv"][0] == str(project / ".brain" / "venv" / "bin" / "python")
    assert spec["display_name"] == "demo (brain)"


def test_lab_serves_the_project_kernel(project: Path, stopped: list[subprocess.Popen[str]]
                                       ) -> None:
    port, token = free_port(), "test-token-lab"
    lab = subprocess.Popen([BRAIN, "lab", "--port", str(port), "--no-browser"], cwd=project,
                           env={**os.environ, "JUPYTER_TOKEN": token}, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stopped.append(lab)
    wait_until(lambda: answers(port, token), timeout=300, what="JupyterLab", process=lab)
    check_project_kernel(port, token, "demo", project / ".brain" / "venv" / "bin" / "python")
    lab.send_signal(signal.SIGINT)
    assert lab.wait(timeout=60) == 130


def test_remote_lab_through_the_tunnel(brain: Brain, sshd: Sshd, remote_folder: Path,
                                       project: Path, stopped: list[subprocess.Popen[str]]
                                       ) -> None:
    assert brain("remote", "add", "box", sshd.url(remote_folder)).exit_code == 0
    port = free_port()
    tunnel = subprocess.Popen([BRAIN, "remote", "lab", "box", "--port", str(port)],
                              cwd=project, env=dict(os.environ), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stopped.append(tunnel)
    assert tunnel.stdout is not None
    line = tunnel.stdout.readline().strip()  # the URL, once the lab answers
    assert line.startswith(f"http://127.0.0.1:{port}/lab?token="), tunnel.communicate()
    token = line.split("token=", 1)[1]
    check_project_kernel(port, token, "demo",
                         remote_folder / ".brain" / "venv" / "bin" / "python")
    lab_pid = int((remote_folder / ".brain-remote" / "lab.pid").read_text())
    tunnel.send_signal(signal.SIGINT)
    tunnel.wait(timeout=30)
    assert not answers(port, token)  # the tunnel is closed...
    assert Path(f"/proc/{lab_pid}").exists()  # ...and the lab still runs there
    result = brain("remote", "stop", "box", cwd=project)
    assert result.exit_code == 0, result.output
    assert f"stopped lab (pid {lab_pid})" in result.stdout
    wait_until(lambda: not Path(f"/proc/{lab_pid}").exists(), timeout=30, what="lab to end")


def test_remote_lab_that_cannot_start_is_exit_3_and_leaves_no_tunnel(
        brain: Brain, sshd: Sshd, remote_folder: Path, project: Path) -> None:
    import socket

    assert brain("remote", "add", "box", sshd.url(remote_folder)).exit_code == 0
    with socket.socket() as taken:  # the remote (this machine) has that port in use
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        local = free_port()
        result = brain("remote", "lab", "box", "--port", str(local), "--remote-port",
                       str(busy), "--timeout", "240", cwd=project)
    assert result.exit_code == 3, result.output
    assert "did not answer" in result.stderr
    forward = f"127.0.0.1:{local}:127.0.0.1:{busy}".encode()
    for proc in Path("/proc").iterdir():
        try:
            assert forward not in (proc / "cmdline").read_bytes(), "a tunnel was left running"
        except OSError:
            continue
