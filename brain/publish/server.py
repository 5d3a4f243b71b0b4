"""Serve the local index read-only over HTTP, so `pip install --extra-index-url
http://127.0.0.1:PORT/simple NAME` works from any environment.

Only GET and HEAD; only files inside the index folder; a path with `..`, `.`-names,
backslashes or NUL bytes, or one that resolves outside the folder (a symlink), is a 404.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from brain.errors import EnvironmentFailure, InvalidInput
from brain.publish.index import LocalIndex, normalize_name

_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".whl": "application/octet-stream",
                  ".gz": "application/gzip", ".zip": "application/zip"}


class IndexServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one index folder."""

    daemon_threads = True
    # A restarted `brain index serve` may take the port of the one that just stopped.
    allow_reuse_address = True

    def __init__(self, root: Path, host: str, port: int, *, log: bool = False) -> None:
        self.index_folder = root.resolve()
        self.log_requests = log
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        """The base URL of the simple pages, e.g. http://127.0.0.1:8080/simple."""
        host, port = self.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}/simple"


def check_host(host: str) -> str:
    """`host` when it is an IP address to bind to, else InvalidInput."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InvalidInput(f"--host {host!r} is not an IP address",
                           hint="use 127.0.0.1 (the default) to serve this machine only") from None
    return host


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8 and ::1."""
    return ipaddress.ip_address(host).is_loopback


def start_server(root: Path, host: str = "127.0.0.1", port: int = 0, *,
                 log: bool = False) -> IndexServer:
    """Bind a server for the index at `root`; the caller runs `serve_forever`."""
    check_host(host)
    if not 0 <= port <= 65535:
        raise InvalidInput(f"--port {port} is out of range (0-65535; 0 picks a free port)")
    try:
        LocalIndex(root).ensure()
    except OSError as error:
        raise EnvironmentFailure(f"cannot create the index {root}: {error.strerror}") from None
    try:
        return IndexServer(root, host, port, log=log)
    except OSError as error:
        raise EnvironmentFailure(f"cannot listen on {host}:{port}: {error.strerror}",
                                 hint="pick another --port, or 0 for a free one") from None


def serve_in_thread(server: IndexServer) -> threading.Thread:
    """Run `server` in a daemon thread (for embedding and tests); stop with `shutdown()`."""
    thread = threading.Thread(target=server.serve_forever, name="brain-index", daemon=True)
    thread.start()
    return thread


class _Handler(BaseHTTPRequestHandler):
    server: IndexServer
    server_version = "brain-index"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _respond(self, *, send_body: bool) -> None:
        raw_path = urlsplit(self.path).path
        segments = _safe_segments(raw_path)
        if segments is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", send_body)
            return
        if not segments:
            self._redirect("/simple/")
            return
        root = self.server.index_folder
        target = root.joinpath(*segments)
        if segments[0] == "simple" and len(segments) >= 2 and not target.exists():
            wanted = normalize_name(segments[1])
            if wanted != segments[1] and (root / "simple" / wanted).is_dir():
                # PEP 503: a client asking for a non-normalized name may be redirected.
                self._redirect("/" + "/".join(quote(s) for s in ["simple", wanted,
                                                                 *segments[2:]]) + "/")
                return
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):
            resolved = None
        if resolved is None or not resolved.is_relative_to(root):
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", send_body)
            return
        if resolved.is_dir():
            if not raw_path.endswith("/"):
                self._redirect(raw_path + "/")
                return
            resolved = resolved / "index.html"
        if not resolved.is_file():
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", send_body)
            return
        try:
            body = resolved.read_bytes()
        except OSError:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", send_body)
            return
        self._send(HTTPStatus.OK, body, _CONTENT_TYPES.get(resolved.suffix,
                                                           "application/octet-stream"), send_body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")  # a new release must show up at once
        self.end_headers()
        if send_body:
            self.wfile.write(body)


def _safe_segments(raw_path: str) -> list[str] | None:
    """The path's segments, or None when any could step outside or name a hidden file."""
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in path or "\x00" in path or not path.startswith("/"):
        return None
    segments = [segment for segment in path.split("/") if segment]
    if any(segment.startswith(".") for segment in segments):
        return None  # `..`, `.` and hidden files such as the index's .lock
    return segments
