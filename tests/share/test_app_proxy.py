"""Apps through the hub: a real hub, real app launches on ports the hub chose, reached on the
hub's own address by HTTP and WebSocket; hostile paths, headers and bodies; idle apps."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.share.proxy import MAX_BODY, _local_location, same_origin, upstream_path
from brain.share.url import make_link
from tests.share.apps import WS_FILES
from tests.share.conftest import Hub, Remote, wait_finished


@pytest.fixture
def client_for() -> Iterator[Callable[[Hub], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(hub: Hub) -> httpx.Client:
        client = httpx.Client(base_url=hub.url, timeout=60)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def launch_app(client: httpx.Client, remote: Remote, entry: str = "app") -> str:
    link = make_link(remote.url, remote.commit, entry=entry)
    created = client.post("/api/launches", json={"link": link.to_url()})
    assert created.status_code == 202, created.text
    launch_id: str = created.json()["id"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = client.get(f"/api/launches/{launch_id}").json()
        assert not status["finished"], status
        if status["app_url"]:
            return launch_id
        time.sleep(0.1)
    raise AssertionError(f"the app of {launch_id} did not answer")


async def say(hub: Hub, path: str, text: str, origin: str | None = None) -> str:
    from websockets.asyncio.client import connect

    url = hub.url.replace("http://", "ws://") + path
    async with connect(url, proxy=None, origin=origin) as socket_:  # type: ignore[arg-type]
        await socket_.send(text)
        return str(await socket_.recv())


def raw_request(hub: Hub, head: bytes) -> bytes:
    """Send bytes as they are (no client library to tidy them) and read the answer's head."""
    host, port = hub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head)
        return connection.recv(65536)


def test_two_launches_of_one_app_side_by_side_through_the_hub(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote(WS_FILES, subdir="")
    hub = start_hub("--max-concurrent", "3")
    client = client_for(hub)
    first, second = launch_app(client, remote), launch_app(client, remote)
    ports = {client.get(f"/api/launches/{item}").json()["params"]["port"]
             for item in (first, second)}
    assert len(ports) == 2  # each launch got its own port from the hub
    for launch_id in (first, second):
        page = client.get(f"/apps/{launch_id}/")
        assert page.status_code == 200 and "<h1>Echo</h1>" in page.text
        assert client.get(f"/apps/{launch_id}/where").text == f"/apps/{launch_id}/"
        reply = asyncio.run(say(hub, f"/apps/{launch_id}/ws", f"hi {launch_id}"))
        assert reply == f"echo: hi {launch_id}"
        posted = client.post(f"/apps/{launch_id}/upload", content=b"x" * 100_000)
        assert posted.text == "100000"
        moved = client.get(f"/apps/{launch_id}/away")  # the app redirects to its own path
        assert moved.status_code == 302 and moved.headers["location"] == \
            f"/apps/{launch_id}/where"
    assert client.get(f"/apps/{first}", follow_redirects=True).text.count("Echo") >= 1
    page = client.get(f"/launches/{first}").text
    assert "Open the app" in page and "port" not in json.dumps(
        client.get(f"/launch?{make_link(remote.url, remote.commit, entry='app').query()}")
        .text.split("<form", 1)[1].split("</form>", 1)[0])  # the form hides the port
    for launch_id in (first, second):
        assert client.post(f"/api/launches/{launch_id}/stop").status_code == 200
        final = wait_finished(client, launch_id)
        assert final["status"] == "stopped", final
    stopped_page = client.get(f"/launches/{first}").text
    assert "stopped on request" in stopped_page and 'id="banner"' not in stopped_page


def test_hostile_requests_never_leave_the_app(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote(WS_FILES, subdir="")
    hub = start_hub()
    client = client_for(hub)
    launch_id = launch_app(client, remote)
    base = f"/apps/{launch_id}"
    for path in ("%2e%2e/%2e%2e/api/launches", "%252e%252e/x", "a/..%2f..%2fb",
                 "a%5c..%5cb", "%0d%0aX-Evil:%201"):
        answer = raw_request(hub, f"GET {base}/{path} HTTP/1.1\r\nHost: x\r\n"
                                  "Connection: close\r\n\r\n".encode())
        # 400 from the proxy; a decoded line break matches no route at all (404)
        assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 404")), (path, answer[:200])
        assert b"Echo" not in answer
    # What the client says it forwarded is replaced; hop-by-hop headers are not passed on.
    seen = client.get(f"{base}/headers", headers={"X-Forwarded-Host": "evil.example.com",
                                                  "Proxy-Authorization": "Basic c2VjcmV0"})
    headers = seen.json()
    assert headers["x-forwarded-host"] == hub.url.removeprefix("http://")
    assert "proxy-authorization" not in headers
    assert headers["host"].startswith("127.0.0.1:")
    # A header value with a line break never reaches the app as a second header.
    answer = raw_request(hub, f"GET {base}/headers HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-Evil: 2"
                              "\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400") or b"x-evil" not in answer.lower()
    # Bodies over the limit: declared, or streamed in chunks without a length.
    answer = raw_request(hub, f"POST {base}/upload HTTP/1.1\r\nHost: x\r\nContent-Length: "
                              f"{MAX_BODY + 1}\r\nConnection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 413")

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY // (1 << 20) + 2):
            yield b"x" * (1 << 20)

    assert client.post(f"{base}/upload", content=chunks()).status_code == 413
    # A WebSocket opened by another site's page is refused; the hub's own is relayed.
    with pytest.raises(Exception, match=r"403|1008|rejected|closed"):
        asyncio.run(say(hub, f"{base}/ws", "hi", origin="http://evil.example.com"))
    assert asyncio.run(say(hub, f"{base}/ws", "hi", origin=hub.url)) == "echo: hi"
    assert client.get("/apps/0123456789abcdef/").status_code == 404
    client.post(f"/api/launches/{launch_id}/stop")
    wait_finished(client, launch_id)


def test_idle_app_is_stopped_and_starts_again_on_the_next_visit(
        start_hub: Callable[..., Hub], make_remote: Callable[..., Remote],
        client_for: Callable[[Hub], httpx.Client]) -> None:
    remote = make_remote(WS_FILES, subdir="")
    hub = start_hub(settings={"hub_app_idle": "2"})
    client = client_for(hub)
    # It takes longer to start than it may stay idle: idle time counts from when it answers.
    launch_id = launch_app(client, remote, "slow")
    final = wait_finished(client, launch_id, timeout=60)
    assert final["status"] == "stopped", final
    assert "without visits" in str(final["message"])
    page = client.get(f"/launches/{launch_id}").text
    assert "Cannot" not in page and "badge status-stopped" in page
    waiting = client.get(f"/apps/{launch_id}/")
    assert waiting.status_code == 503 and "starting again" in waiting.text
    again = client.get(f"/api/launches/{launch_id}").json()["restarted_as"]
    deadline = time.monotonic() + 60
    while not client.get(f"/api/launches/{again}").json()["app_url"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert "<h1>Echo</h1>" in client.get(f"/apps/{again}/").text
    client.post(f"/api/launches/{again}/stop")


@given(st.text(max_size=60))
def test_upstream_paths_never_climb(path: str) -> None:
    found = upstream_path("abc", path)
    if found is not None:
        decoded = unquote(unquote(found))
        assert found.startswith("/") and "\\" not in decoded
        assert ".." not in decoded.split("/") and not any(ord(c) < 32 for c in decoded)


def test_redirects_and_origins() -> None:
    assert _local_location("http://127.0.0.1:9000/x?a=1", 9000, "/apps/id/") == "/apps/id/x?a=1"
    assert _local_location("/x", 9000, "/apps/id/") == "/apps/id/x"
    assert _local_location("http://127.0.0.1:9001/x", 9000, "/apps/id/") == "http://127.0.0.1:9001/x"
    assert _local_location("https://example.com/", 9000, "/apps/id/") == "https://example.com/"
    assert same_origin(None, "hub:1") and same_origin("http://hub:1", "hub:1")
    assert not same_origin("http://evil.example.com", "hub:1")
