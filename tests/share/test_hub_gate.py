"""The hub's one gate (brain.share.hub_auth.HubGate): every route declares a role, a route that
declares none is refused to everyone, and no Authorization or Cookie header, however garbled,
makes the hub fail (hypothesis, against a real hub)."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.share.accounts import Role
from brain.share.hub_auth import (
    COOKIE,
    bearer_token,
    check_prefix,
    client_address,
    declared_role,
    proxy_networks,
    session_cookie,
)
from tests.conftest import Result
from tests.share.conftest import Hub


@pytest.fixture
def app(tmp_path: Path, launch_python: str | None, monkeypatch: pytest.MonkeyPatch) -> object:
    from brain.share.hub import HubSettings, create_app

    config = tmp_path / "config.toml"
    config.write_text(f'hub_python = "{launch_python}"\n' if launch_python else "")
    monkeypatch.setenv("BRAIN_CONFIG", str(config))
    return create_app(HubSettings(tokens=True, state_dir=tmp_path / "hub"))


def test_every_route_declares_a_role(app: object) -> None:
    from fastapi import FastAPI

    from brain.share.hub_auth import HubGate

    assert isinstance(app, FastAPI)
    routes = [route for route in app.router.routes if hasattr(route, "endpoint")]
    assert len(routes) > 20  # the hub's, the CI routes and the account routes
    undeclared = [getattr(route, "path", route) for route in routes
                  if declared_role(route) is None]
    assert undeclared == []
    public = sorted({getattr(route, "path", "") for route in routes
                     if declared_role(route) is Role.PUBLIC})
    assert public == ["/favicon.ico", "/favicon.svg", "/login", "/logout"]
    # Whatever starts work needs a launcher; tokens and limits an admin.
    needs = {(getattr(route, "path", ""), method): declared_role(route)
             for route in routes for method in getattr(route, "methods", None) or {"WS"}}
    assert needs[("/api/launches", "POST")] is Role.LAUNCHER
    assert needs[("/api/launches/{launch_id}/stop", "POST")] is Role.LAUNCHER
    assert needs[("/api/tokens", "POST")] is Role.ADMIN
    assert needs[("/api/limits", "PUT")] is Role.ADMIN
    assert any(item.cls is HubGate for item in app.user_middleware)


def test_a_route_without_a_role_is_refused_to_everyone(
        app: object, brain: Callable[..., Result], tmp_path: Path) -> None:
    import json

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from brain.share.accounts import HubAccounts

    assert isinstance(app, FastAPI)

    @app.get("/forgotten")
    def forgotten() -> str:
        return "work done"

    token = HubAccounts(tmp_path / "hub" / "accounts.db").create("root", Role.ADMIN)
    with TestClient(app) as client:
        answer = client.get("/forgotten", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert json.loads(answer.text)["error"] == \
        "this address declares no role: nobody may use it"


@given(st.text(max_size=300))
def test_header_parsers_never_raise(text: str) -> None:
    token = bearer_token(text)
    assert token is None or (token.isascii() and " " not in token and 0 < len(token) <= 512)
    assert session_cookie(text) != ""
    assert session_cookie(f"x={text}; {COOKIE}=abc") == "abc"
    assert client_address("127.0.0.1", text, proxy_networks(("127.0.0.1",))) is not None
    prefix = check_prefix(text)
    assert prefix == "" or (prefix.startswith("/") and ".." not in prefix.split("/"))


def test_bearer_token_forms() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc  ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer a b") is None
    assert bearer_token("Bearer " + "x" * 600) is None
    assert session_cookie(f"theme=dark; {COOKIE}=s3ss10n") == "s3ss10n"
    assert session_cookie("theme=dark") is None
    trusted = proxy_networks(("10.0.0.0/8",))
    assert client_address("10.0.0.2", "198.51.100.1, 203.0.113.5", trusted) == "203.0.113.5"
    assert client_address("10.0.0.2", "203.0.113.5, 10.0.0.9", trusted) == "203.0.113.5"
    assert client_address("192.0.2.1", "203.0.113.5", trusted) == "192.0.2.1"
    assert client_address("10.0.0.2", "not-an-address", trusted) == "10.0.0.2"


_HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255,
                                     blacklist_characters="\x7f"), max_size=200)


def test_no_credential_header_makes_the_hub_fail(
        start_hub: Callable[..., Hub], brain: Callable[..., Result]) -> None:
    import json

    made = brain("hub", "token", "create", "vera", "--role", "viewer", "--json")
    token = json.loads(made.stdout)["token"]
    hub = start_hub("--auth", "tokens")
    address = hub.url.removeprefix("http://")

    @settings(max_examples=80, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(authorization=st.one_of(_HEADER_TEXT, _HEADER_TEXT.map("Bearer ".__add__)),
           cookie=st.one_of(_HEADER_TEXT, _HEADER_TEXT.map(f"{COOKIE}=".__add__)),
           method=st.sampled_from(["GET", "POST"]),
           path=st.sampled_from(["/api/launches", "/", "/launches/x", "/api/tokens",
                                 "/apps/x/y", "/login"]))
    def check(authorization: str, cookie: str, method: str, path: str) -> None:
        connection = http.client.HTTPConnection(address, timeout=30)
        try:
            connection.putrequest(method, path)
            connection.putheader("Authorization", authorization.encode("latin-1"))
            connection.putheader("Cookie", cookie.encode("latin-1"))
            connection.putheader("Content-Length", "0")
            connection.endheaders()
            answer = connection.getresponse()
            answer.read()
        finally:
            connection.close()
        assert answer.status in (200, 303, 400, 401, 403, 404, 405, 422), answer.status

    check()
    # Still answering the real token afterwards.
    connection = http.client.HTTPConnection(address, timeout=30)
    connection.request("GET", "/api/launches", headers={"Authorization": f"Bearer {token}"})
    assert connection.getresponse().status == 200
