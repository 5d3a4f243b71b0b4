"""moto's S3-compatible server on 127.0.0.1, a stand-in for a cloud bucket no user runs
locally: started by the dataset tests (tests/data/conftest.py) and by
benchmarks/data_transfer.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import end_process

MOTO_SERVER = Path(sys.executable).parent / "moto_server"
# Credentials moto accepts; the tests and the benchmark set them as AWS_* variables.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "NO_PROXY": "127.0.0.1,localhost",
               "no_proxy": "127.0.0.1,localhost"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """Start moto_server on a free port of 127.0.0.1 (its output in `log_path`), yield its
    URL, stop it after."""
    port = _free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("moto_server did not listen within 30 s") from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            end_process(server, grace=10)
