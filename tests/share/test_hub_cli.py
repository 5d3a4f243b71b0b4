"""`brain hub` refuses bad options with exit 2 and a busy port with a clear message."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.conftest import Result


@pytest.mark.parametrize(("args", "message"), [
    (["--max-concurrent", "0"], "--max-concurrent"),
    (["--port", "70000"], "--port"),
    (["--timeout", "0"], "--timeout"),
    (["--auth", "bogus"], "--auth"),
    (["--max-launches-per-user", "0"], "--max-launches-per-user"),
    (["--root-path", "/../x"], "--root-path"),
    (["--root-path", "/a b"], "--root-path"),
    (["--trusted-proxy", "proxy.example.com"], "--trusted-proxy"),
])
def test_bad_options(brain: Callable[..., Result], args: list[str], message: str) -> None:
    result = brain("hub", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "brain", "hub", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
