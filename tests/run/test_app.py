"""App entry points: brain waits for the port, prints the URL, keeps serving until Ctrl-C."""

from __future__ import annotations

import signal
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.app import port_answers
from brain.runs.store import RunStore
from tests.conftest import Result
from tests.run.conftest import free_port, start_brain, wait_for

SPEC = """
name: served
version: 0.1.0
entry_points:
  main:
    type: app
    command: python -m http.server {{ port }} --bind 127.0.0.1
    parameters:
      port: {type: int, default: 8880}
  crashes:
    type: app
    command: python -c "import sys; print('boom', file=sys.stderr); sys.exit(3)"
    port: 8881
  never listens:
    type: app
    command: python -c "import time; time.sleep(60)"
    parameters:
      port: {type: int, default: 8882}
"""


@pytest.fixture
def project(ready_project: Callable[..., Path]) -> Path:
    return ready_project({"onebrain.yml": SPEC, "index.html": "<h1>served</h1>\n"})


@pytest.mark.slow
def test_app_answers_then_ctrl_c_stops_it(project: Path) -> None:
    port = free_port()
    brain = start_brain("run", str(project), "-P", f"port={port}", "--no-setup")
    try:
        wait_for(lambda: port_answers(port) or brain.poll() is not None, what="the port")
        assert brain.poll() is None, brain.communicate()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as page:
            assert page.status == 200
            assert page.read() == b"<h1>served</h1>\n"
        assert RunStore().list()[0].status == "running"
    finally:
        brain.send_signal(signal.SIGINT)
        _, err = brain.communicate(timeout=30)
    assert brain.returncode == 130, err
    assert f"main is up at http://127.0.0.1:{port}/ (Ctrl-C to stop)" in err
    assert not port_answers(port)
    record = RunStore().list()[0]
    assert record.status == "interrupted"
    assert record.extra["port"] == port
    # Ctrl-C is how an app is stopped: say so, not the server's own "(exit 0)".
    assert f"brain: run {record.id} stopped after " in err
    assert "(exit 0)" not in err


def test_app_that_dies_before_listening_fails_with_its_code(
        brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-e", "crashes", "--no-setup")
    assert result.exit_code == 3
    assert "boom" in result.stderr
    assert "the app exited (code 3) before its port 8881 answered" in result.stderr
    record = RunStore().list()[0]
    assert (record.status, record.exit_code) == ("failed", 3)


def test_app_that_never_listens_times_out(brain: Callable[..., Result], project: Path) -> None:
    port = free_port()
    result = brain("run", str(project), "-e", "never listens", "-P", f"port={port}",
                   "--no-setup", "--start-timeout", "1")
    assert result.exit_code != 0
    assert f"the app did not answer on port {port} within 1s" in result.stderr
    assert RunStore().list()[0].status == "failed"


def test_port_in_use_is_refused_before_starting(brain: Callable[..., Result], project: Path,
                                                isolated: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = brain("run", str(project), "-P", f"port={port}", "--no-setup")
    assert result.exit_code == 2
    assert f"port {port} is already in use" in result.stderr
    assert not (isolated / "brain.db").exists()


def test_app_dry_run_shows_the_port(brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-P", "port=9000", "--dry-run")
    assert result.exit_code == 0
    assert "port: 9000" in result.stdout.splitlines()
    assert "  9000" in result.stdout.splitlines()
