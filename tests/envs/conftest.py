"""Fixtures for environment tests: spec text, and a real local package index (PEP 503 over
HTTP) serving hand-built wheels, whose answers can be slowed down or held, so that a build
can be caught midway deterministically."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def spec_text(pip: dict[str, str] | list[str] | None = None, *, python: str = "3.11",
              extra: str = "", name: str = "envtest") -> str:
    """An onebrain.yml with `pip` requirements (YAML flow style, values quoted)."""
    import json

    lines = [f"name: {name}", "version: 0.1.0", "entry_points:", "  main:",
             "    command: python -c pass", "env:", "  python:", f'    version: "{python}"']
    if pip is not None:
        lines.append(f"    pip: {json.dumps(pip)}")
    return "\n".join(lines) + "\n" + extra


def _wheel(name: str, version: str) -> bytes:
    files = {
        f"{name}.py": f"VERSION = {version!r}\n".encode(),
        f"{name}-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{name}-{version}.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: brain-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record_path = f"{name}-{version}.dist-info/RECORD"
    record.append(f"{record_path},,")
    files[record_path] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


@dataclass
class LocalIndex:
    """A PEP 503 index on 127.0.0.1 serving `brainprobe` 1.0 and 2.0."""

    url: str = ""
    hold: threading.Event = field(default_factory=threading.Event)  # set: requests wait
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def local_index() -> Iterator[LocalIndex]:
    """A real package index over HTTP, with `hold`/`release` to freeze a build midway."""
    wheels = {f"brainprobe-{v}-py3-none-any.whl": _wheel("brainprobe", v) for v in ("1.0", "2.0")}
    index = LocalIndex()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            self.head = head
            index.requests.append(self.path)
            if index.hold.is_set():
                index.release.wait(timeout=60)
            if index.delay:
                index.release.wait(timeout=index.delay)
            if self.path.rstrip("/") == "/simple/brainprobe":
                links = "".join(
                    f'<a href="/files/{n}#sha256={hashlib.sha256(d).hexdigest()}">{n}</a>\n'
                    for n, d in wheels.items())
                self._send(f"<html><body>{links}</body></html>".encode(), "text/html")
            elif self.path.startswith("/files/") and self.path[7:] in wheels:
                self._send(wheels[self.path[7:]], "application/octet-stream")
            else:
                self.send_error(404)

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.head:
                return
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    index.url = f"http://127.0.0.1:{server.server_address[1]}/simple"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        index.release.set()
        server.shutdown()
        server.server_close()


def probe_spec(index: LocalIndex, version: str = "1.0", *, python: str = "3.11") -> str:
    """A spec installing brainprobe==`version` from the local index only."""
    return spec_text({"brainprobe": f"=={version}"}, python=python,
                     extra=f"    index_url: {index.url}\n")


def venv_python(project: Path) -> Path:
    """The project's venv interpreter."""
    return project / ".brain" / "venv" / "bin" / "python"
