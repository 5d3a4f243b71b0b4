"""The hub's reverse proxy to running apps: `/apps/<launch id>/...` on the hub's own address.

Each app launch listens on a port the hub chose (brain.share.launcher). The proxy only ever
connects to 127.0.0.1 at that port: the upstream URL is built from the launch's recorded
port and the request's own path, never from a URL an app reported or a request carried. The
app sees paths without the `/apps/<id>` prefix (as behind any path-mounting proxy); it learns
the public prefix from `BRAIN_BASE_PATH` for the links it writes (FastAPI `root_path`, Dash
`requests_pathname_prefix`; Streamlit and Shiny pages find it from their own address).

HTTP is streamed both ways with httpx; WebSockets are relayed message by message with the
`websockets` library (uvicorn's own WebSocket implementation, so no extra server code).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

MAX_BODY = 32 << 20  # a request body the proxy forwards, at most
MAX_MESSAGE = 16 << 20  # one WebSocket message, either way

# Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy sets itself.
_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                  "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host",
                  "proxy-connection"})
_WS_OWN = frozenset({"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
                     "sec-websocket-protocol", "sec-websocket-accept", "origin", "cookie"})


def base_path(launch_id: str, root: str = "") -> str:
    """Where a launch's app is reached on the hub: `<root>/apps/<id>/` (root: the hub's own
    path prefix behind a reverse proxy, or '')."""
    return f"{root}/apps/{launch_id}/"


def upstream_path(launch_id: str, path: str) -> str | None:
    """The path to request from the app for `path` (what follows `/apps/<id>/`, as decoded
    by the server), re-quoted; None when it is not a plain path (a `..` or `.` segment, a
    backslash, a control character), so nothing can climb out of the app's base path."""
    text = unquote(path)  # a doubly encoded `%2e%2e` is one more decode away from `..`
    if any(ord(char) < 32 or char in "\\\x7f" for char in text):
        return None
    if any(segment in (".", "..") for segment in text.split("/")):
        return None
    del launch_id  # the prefix is the hub's, not the app's
    return "/" + quote(path, safe="/:@!$&'()*+,;=-._~")


def forwarded_headers(headers: list[tuple[bytes, bytes]], *, drop: frozenset[str],
                      client: str, hub_host: str, scheme: str) -> list[tuple[str, str]]:
    """The request headers an app is given: without hop-by-hop ones, without the hub's own
    credentials (its session cookie; a bearer token when `drop` names authorization), with
    X-Forwarded-*."""
    kept: list[tuple[str, str]] = []
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in drop or name.startswith("x-forwarded-") or "\r" in value or "\n" in value:
            continue
        if name == "cookie":
            value = without_hub_cookie(value)
            if not value:
                continue
        kept.append((name, value))
    kept += [("x-forwarded-for", client), ("x-forwarded-host", hub_host),
             ("x-forwarded-proto", scheme)]
    return kept


def without_hub_cookie(header: str) -> str:
    """A Cookie header without the hub's session: an app is someone else's code."""
    from brain.share.hub_auth import COOKIE

    kept = [chunk for chunk in header.split(";")
            if chunk.split("=", 1)[0].strip() != COOKIE]
    return ";".join(kept).strip()


def same_origin(origin: str | None, host: str | None) -> bool:
    """True when a browser's Origin is the hub itself (or absent: not a browser)."""
    if origin is None:
        return True
    return host is not None and urlsplit(origin).netloc == host


class AppProxy:
    """Relays requests for `/apps/<id>/` to 127.0.0.1:<the port the hub gave that launch>."""

    def __init__(self, port_of: Callable[[str], int | None],
                 visited: Callable[[str], None], *, keep_authorization: bool = True) -> None:
        self.port_of = port_of  # the launch's assigned port while its app runs, else None
        self.visited = visited
        # With hub accounts, an Authorization header is the hub's token: never an app's.
        self._drop = _HOP if keep_authorization else _HOP | {"authorization"}
        self._client: Any = None
        self.sockets: dict[str, int] = {}  # open WebSockets per launch: a page in use

    def keep_alive(self) -> None:
        """An app with an open WebSocket is in use, even when nobody clicks."""
        for launch_id, count in list(self.sockets.items()):
            if count > 0:
                self.visited(launch_id)

    def _http(self) -> Any:
        import httpx

        if self._client is None:
            # trust_env=False: never a proxy from the hub's environment; no redirects followed.
            self._client = httpx.AsyncClient(trust_env=False, follow_redirects=False,
                                             timeout=httpx.Timeout(60.0, connect=5.0))
        return self._client

    async def close(self) -> None:
        """Close the upstream connection pool."""
        if self._client is not None:
            await self._client.aclose()

    async def http(self, request: Request, launch_id: str, path: str, port: int) -> Response:
        """Forward one HTTP request and stream the answer back."""
        import httpx

        target = upstream_path(launch_id, path)
        if target is None:
            return Response("not a plain path\n", 400, media_type="text/plain")
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            return Response(f"the request body is over {MAX_BODY >> 20} MiB\n", 413,
                            media_type="text/plain")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response(f"the request body is over {MAX_BODY >> 20} MiB\n", 413,
                                media_type="text/plain")
        self.visited(launch_id)
        headers = forwarded_headers(request.scope["headers"], drop=self._drop,
                                    scheme=request.url.scheme,
                                    client=request.client.host if request.client else "",
                                    hub_host=request.headers.get("host", ""))
        headers.append(("host", f"127.0.0.1:{port}"))
        query = request.url.query
        url = httpx.URL(scheme="http", host="127.0.0.1", port=port, raw_path=(
            target + ("?" + query if query else "")).encode())
        upstream = self._http().build_request(request.method, url, headers=headers,
                                              content=bytes(body))
        try:
            answer = await self._http().send(upstream, stream=True)
        except httpx.HTTPError:
            return Response("the app does not answer\n", 502, media_type="text/plain")
        kept = [(name, value) for name, value in answer.headers.multi_items()
                if name.lower() not in _HOP]
        root = request.scope.get("root_path", "")
        kept = [(name, _local_location(value, port, base_path(launch_id, root))
                 if name.lower() == "location" else value) for name, value in kept]
        response = StreamingResponse(_relay(answer), status_code=answer.status_code)
        response.raw_headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                                for name, value in kept]
        return response

    async def websocket(self, socket: WebSocket, launch_id: str, path: str, port: int) -> None:
        """Relay one WebSocket, both ways, until either side closes."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException
        from websockets.typing import Origin, Subprotocol

        target = upstream_path(launch_id, path)
        if target is None or not same_origin(socket.headers.get("origin"),
                                             socket.headers.get("host")):
            await socket.close(1008)  # policy violation: a foreign page, or a climbing path
            return
        query = socket.url.query
        protocols = [item.strip() for item in
                     socket.headers.get("sec-websocket-protocol", "").split(",") if item.strip()]
        headers = forwarded_headers(socket.scope["headers"], drop=self._drop | _WS_OWN,
                                    scheme="http",
                                    client=socket.client.host if socket.client else "",
                                    hub_host=socket.headers.get("host", ""))
        cookie = without_hub_cookie(socket.headers.get("cookie") or "")
        if cookie:
            headers.append(("cookie", cookie))
        url = f"ws://127.0.0.1:{port}{target}" + ("?" + query if query else "")
        try:
            upstream = await connect(url, proxy=None, origin=Origin(f"http://127.0.0.1:{port}"),
                                     subprotocols=[Subprotocol(item) for item in protocols]
                                     or None, additional_headers=headers,
                                     max_size=MAX_MESSAGE, compression=None, open_timeout=10)
        except (TimeoutError, OSError, WebSocketException):
            await socket.close(1011)
            return
        self.visited(launch_id)
        await socket.accept(subprotocol=upstream.subprotocol)
        self.sockets[launch_id] = self.sockets.get(launch_id, 0) + 1
        try:
            async with upstream:
                await _pump_both(socket, upstream, lambda: self.visited(launch_id))
        finally:
            self.sockets[launch_id] -= 1
            if not self.sockets[launch_id]:
                del self.sockets[launch_id]


async def _relay(answer: Any) -> AsyncIterator[bytes]:
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    finally:
        await answer.aclose()


def _local_location(value: str, port: int, base: str) -> str:
    """A redirect to the app's own address, turned into the hub's path for it (`base`)."""
    parts = urlsplit(value)
    own = parts.hostname in ("127.0.0.1", "localhost") and parts.port == port
    if own or (not parts.scheme and not parts.netloc and value.startswith("/")):
        path = parts.path
        if not path.startswith(base):
            path = base + path.lstrip("/")
        return path + ("?" + parts.query if parts.query else "")
    return value  # relative, or another site: the browser resolves it


async def _pump_both(socket: WebSocket, upstream: Any, visited: Callable[[], None]) -> None:
    from websockets.exceptions import ConnectionClosed

    async def browser_to_app() -> None:
        while True:
            message = await socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            visited()
            data = message.get("bytes")
            await upstream.send(data if data is not None else message.get("text") or "")

    async def app_to_browser() -> None:
        async for message in upstream:
            if isinstance(message, bytes):
                await socket.send_bytes(message)
            else:
                await socket.send_text(message)

    tasks = [asyncio.create_task(browser_to_app()), asyncio.create_task(app_to_browser())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed,
                                     WebSocketDisconnect, RuntimeError):
                await task
    with contextlib.suppress(RuntimeError):  # already closed by the browser
        await socket.close()
