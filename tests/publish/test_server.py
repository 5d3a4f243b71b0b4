"""`brain index serve`: plain pip installs from it; it serves nothing outside the index."""

from __future__ import annotations

import http.client
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from brain.publish.server import IndexServer, serve_in_thread, start_server
from tests.publish.conftest import LIB_A, LIB_A_IMPORT


@pytest.mark.slow
def test_plain_pip_in_a_fresh_venv_installs_from_the_served_index(
        brain, make_library, served_index, tmp_path: Path) -> None:
    assert brain("publish", str(make_library(value="served"))).exit_code == 0
    url = served_index()
    venv = tmp_path / "consumer-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check",
         "--extra-index-url", url, LIB_A],
        capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    imported = subprocess.run([str(python), "-c", f"import {LIB_A_IMPORT}; "
                               f"print({LIB_A_IMPORT}.VALUE)"],
                              capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "served"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[IndexServer, Path]]:
    root = tmp_path / "index"
    (root / "simple" / "pkg").mkdir(parents=True)
    (root / "simple" / "index.html").write_text("<a href='pkg/'>pkg</a>")
    (root / "simple" / "pkg" / "index.html").write_text("pkg page")
    (root / "simple" / "pkg" / "pkg-1.0.tar.gz").write_bytes(b"archive")
    (root / ".lock").write_text("")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "simple" / "pkg" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    running = start_server(root, "127.0.0.1", 0)
    serve_in_thread(running)
    try:
        yield running, root
    finally:
        running.shutdown()
        running.server_close()


def request(server: IndexServer, path: str, method: str = "GET") -> tuple[int, str, bytes]:
    """Send `path` exactly as given (no client-side normalisation)."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read()
    finally:
        connection.close()


def test_serves_pages_and_files(server) -> None:
    running, _ = server
    assert request(running, "/simple/")[0] == 200
    status, _, body = request(running, "/simple/pkg/")
    assert (status, body) == (200, b"pkg page")
    assert request(running, "/simple/pkg/pkg-1.0.tar.gz")[2] == b"archive"
    status, _, body = request(running, "/simple/pkg/pkg-1.0.tar.gz", "HEAD")
    assert (status, body) == (200, b"")


def test_redirects_to_the_slash_and_normalized_name(server) -> None:
    running, _ = server
    assert request(running, "/simple/pkg")[:2] == (301, "/simple/pkg/")
    assert request(running, "/simple/PKG/")[:2] == (301, "/simple/pkg/")
    assert request(running, "/")[:2] == (301, "/simple/")


@pytest.mark.parametrize("path", [
    "/simple/../../secret.txt",
    "/simple/pkg/../../../secret.txt",
    "/../secret.txt",
    "/simple/%2e%2e/%2e%2e/secret.txt",
    "/simple/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "/simple/..%2f..%2fsecret.txt",
    "/simple/pkg/..\\..\\..\\secret.txt",
    "/simple/pkg/%00index.html",
    "/simple/%ff%fe/",
    "/.lock",
    "/simple/pkg/leak.txt",
    "//etc/passwd",
    "/etc/passwd",
    "/simple/nothing-here/",
])
def test_nothing_outside_the_index_is_served(server, path: str) -> None:
    running, _ = server
    status, _, body = request(running, path)
    assert status == 404, (path, status)
    assert b"secret" not in body


def test_the_server_is_read_only(server) -> None:
    running, root = server
    for method in ("PUT", "POST", "DELETE"):
        status, _, _ = request(running, "/simple/pkg/pkg-1.0.tar.gz", method)
        assert status == 501
    assert (root / "simple" / "pkg" / "pkg-1.0.tar.gz").read_bytes() == b"archive"


def test_port_in_use_is_an_environment_failure(brain) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = brain("index", "serve", "--port", str(port))
    assert result.exit_code == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--host", "localhost; rm -rf /"], "is not an IP address"),
    (["--port", "70000"], "out of range"),
])
def test_bad_serve_options(brain, args: list[str], message: str) -> None:
    result = brain("index", "serve", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_serve_prints_a_url_that_works(served_index) -> None:
    url = served_index()
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", "/simple/")
    response = connection.getresponse()
    assert response.status == 200
    assert b"Simple index" in response.read()
    connection.close()
