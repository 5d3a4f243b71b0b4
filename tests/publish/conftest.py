"""Fixtures for publishing tests: library projects, free ports, real servers as subprocesses."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import end_process

# Names nobody publishes on PyPI, so `--extra-index-url` can only find ours.
LIB_A = "zz-brain-pubtest-alpha"
LIB_A_IMPORT = "zz_brain_pubtest_alpha"


def library_spec(name: str = LIB_A, version: str = "0.1.0", *, extra: str = "",
                 build_enabled: bool = True) -> str:
    """An onebrain.yml for a library project."""
    return (f"name: {name}\nversion: {version}\ndescription: A test library\n"
            f"authors: [Jane Doe <jane@example.com>]\n"
            f"build_enabled: {'true' if build_enabled else 'false'}\n{extra}")


@pytest.fixture
def make_library(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """make_library(version=..., value=...) -> a src-layout library project folder."""

    def make(version: str = "0.1.0", *, value: str | None = None, name: str = LIB_A,
             folder: str | None = None, extra: str = "", build_enabled: bool = True) -> Path:
        import_name = re.sub(r"[^0-9a-zA-Z_]", "_", name)
        return make_project({
            "onebrain.yml": library_spec(name, version, extra=extra, build_enabled=build_enabled),
            f"src/{import_name}/__init__.py": f"VALUE = {value or version!r}\n",
        }, name=folder)

    return make


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listened on port {port} within {timeout}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server this test started (by its own handle, never by name)."""
    if process.poll() is None:
        end_process(process, grace=10)


@pytest.fixture
def served_index(isolated: Path) -> Iterator[Callable[[], str]]:
    """Start `python -m brain index serve --port 0` as a real process; returns its URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", "brain", "index", "serve", "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        match = re.search(r"http://127\.0\.0\.1:\d+/simple", line)
        assert match, f"no URL in the first line: {line!r}"
        return match[0]

    yield start
    for process in started:
        stop(process)


@pytest.fixture
def pypiserver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real pypiserver on 127.0.0.1 without authentication: (upload URL, package folder)."""
    packages = tmp_path / "pypiserver-packages"
    packages.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", "127.0.0.1",
         "-a", ".", "-P", ".", "--disable-fallback", str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/", packages
    finally:
        stop(process)
