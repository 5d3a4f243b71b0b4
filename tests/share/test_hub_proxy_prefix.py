"""The hub behind a real reverse proxy (nginx) under a path prefix: every link, redirect and
cookie of the pages, the API and the app proxy carries the prefix, and the client address is
the one the trusted proxy saw."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import httpx

from brain.share.url import make_link
from tests.conftest import Result
from tests.share.conftest import Hub, Proxy, Remote

_FORWARD = """
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_buffering off;
"""


def links_of(html: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"#]*)"', html)


def test_hub_under_a_prefix_behind_nginx(
        brain: Callable[..., Result], start_hub: Callable[..., Hub],
        nginx: Callable[[str], Proxy], make_remote: Callable[..., Remote]) -> None:
    remote = make_remote()
    token = json.loads(brain("hub", "token", "create", "ana", "--role", "launcher", "--json")
                       .stdout)["token"]
    told = start_hub("--auth", "tokens", "--trusted-proxy", "127.0.0.1")  # prefix by header
    fixed = start_hub("--auth", "tokens", "--root-path", "/kept")  # prefix by option
    proxy = nginx(
        f"location /brain/ {{ proxy_pass {told.url}/; "
        f"proxy_set_header X-Forwarded-Prefix /brain; {_FORWARD} }}\n"
        f"location /kept/ {{ proxy_pass {fixed.url}; {_FORWARD} }}")
    # The client comes from 127.0.0.2, the proxy from 127.0.0.1 (trusted).
    client = httpx.Client(base_url=proxy.url, timeout=60,
                          transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with client:
        # A browser without a session is sent to the prefixed sign-in form, and back.
        home = client.get("/brain/", headers={"Accept": "text/html"})
        assert home.status_code == 303
        assert home.headers["location"] == "/brain/login?next=%2Fbrain%2F"
        form = client.get(home.headers["location"])
        assert 'action="/brain/login"' in form.text and 'value="/brain/"' in form.text
        signed = client.post("/brain/login", data={"token": token, "next": "/brain/"})
        assert signed.status_code == 303 and signed.headers["location"] == "/brain/"
        cookie = signed.headers["set-cookie"]
        assert "Path=/brain/" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie and "Secure" not in cookie
        page = client.get("/brain/")
        assert page.status_code == 200 and '"/brain"' in page.text
        assert links_of(page.text) and all(link.startswith("/brain/")
                                           for link in links_of(page.text))
        # An app launched through the proxy is reached under the prefix.
        link = make_link(remote.url, remote.commit, path="projects/hello", entry="serve",
                         hub="http://example.com")
        created = client.post("/brain/api/launches", json={"link": link.to_url()},
                              headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 202, created.text
        launch_id = created.json()["id"]
        assert created.json()["page"] == f"/brain/launches/{launch_id}"
        status: dict[str, object] = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not status.get("app_url"):
            status = client.get(f"/brain/api/launches/{launch_id}").json()
            assert not status["finished"], status
            time.sleep(0.2)
        assert status["app_url"] == f"/brain/apps/{launch_id}/"
        moved = client.get(f"/brain/launches/{launch_id}/app")
        assert moved.status_code == 307
        assert moved.headers["location"] == f"/brain/apps/{launch_id}/"
        assert client.get(f"/brain/apps/{launch_id}").headers["location"] == \
            f"/brain/apps/{launch_id}/"
        served = client.get(f"/brain/apps/{launch_id}/")
        assert served.status_code == 200 and "Directory listing" in served.text
        launch_page = client.get(f"/brain/launches/{launch_id}")
        assert all(link.startswith("/brain/") for link in links_of(launch_page.text))
        assert client.post(f"/brain/api/launches/{launch_id}/stop").status_code == 200
        # The option's way: nginx passes the path whole, the hub knows its prefix.
        kept = client.get("/kept/login")
        assert kept.status_code == 200 and 'action="/kept/login"' in kept.text
        assert client.get("/kept/api/launches").status_code == 401
    audit = json.loads(brain("hub", "audit", "--json").stdout)
    launch = next(entry for entry in audit if entry["action"] == "launch")
    assert launch["who"] == "ana" and launch["client"] == "127.0.0.2"
    # Straight to the hub (not through the proxy) a forged prefix is still believed only
    # from the trusted address; from the fixed hub, never.
    direct = httpx.get(f"{fixed.url}/login", headers={"X-Forwarded-Prefix": "/evil"})
    assert 'action="/kept/login"' in direct.text and "/evil" not in direct.text


def test_https_proxy_makes_the_cookie_secure(
        brain: Callable[..., Result], start_hub: Callable[..., Hub]) -> None:
    token = json.loads(brain("hub", "token", "create", "ana", "--role", "viewer", "--json")
                       .stdout)["token"]
    behind = start_hub("--auth", "tokens", "--trusted-proxy", "127.0.0.1")
    signed = httpx.post(f"{behind.url}/login", data={"token": token, "next": "/"},
                        headers={"X-Forwarded-Proto": "https"})
    assert signed.status_code == 303 and "Secure" in signed.headers["set-cookie"]
    plain = start_hub("--auth", "tokens")
    signed = httpx.post(f"{plain.url}/login", data={"token": token, "next": "//evil.example"},
                        headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in signed.headers["set-cookie"]
    assert signed.headers["location"] == "/"  # never another site
    wrong = httpx.post(f"{plain.url}/login", data={"token": "nope", "next": "/"})
    assert wrong.status_code == 401 and "unknown, expired or revoked" in wrong.text
    assert "set-cookie" not in wrong.headers
