"""Who is asking the hub, and whether they may: the one gate every request passes.

Every route declares the least role it needs with `@requires(Role.X)`; `HubGate`, an ASGI
middleware wrapped around the whole app, finds the route a request is for, works out who
sent it (a bearer token, a session cookie, or nobody) and refuses before the route runs:
401 without valid credentials, 403 below the route's role. A route that declares no role is
refused to everyone (and a test lists every route to keep it so). The gate also settles what a
trusted reverse proxy says: the client's address (X-Forwarded-For), the path prefix the hub is
served under (X-Forwarded-Prefix, or --root-path) and https (X-Forwarded-Proto).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from brain.errors import InvalidInput
from brain.share.accounts import Account, Role

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection
    from starlette.types import ASGIApp, Receive, Scope, Send

    from brain.share.accounts import HubAccounts

    Network = ipaddress.IPv4Network | ipaddress.IPv6Network

COOKIE = "brain_hub_session"
_ROLE_ATTRIBUTE = "__brain_role__"
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")
_MAX_CREDENTIAL = 512  # a token is 43 characters; anything longer is not one
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def requires(role: Role) -> Callable[[Endpoint], Endpoint]:
    """Declare the least role a route's endpoint needs (put it under `@app.get(...)`)."""
    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ROLE_ATTRIBUTE, role)
        return endpoint
    return declare


def declared_role(route: Any) -> Role | None:
    """The role a route declared, or None when it declared none."""
    role = getattr(getattr(route, "endpoint", None), _ROLE_ATTRIBUTE, None)
    return role if isinstance(role, Role) else None


@dataclass(frozen=True)
class Visitor:
    """Who sent a request: a token's name and role (or `anonymous`), and from where."""

    name: str
    role: Role
    client: str
    session: str | None = None  # the session id, when a cookie carried it


def visitor_of(connection: HTTPConnection) -> Visitor:
    """The visitor HubGate found for this request."""
    found = connection.scope.get("state", {}).get("visitor")
    assert isinstance(found, Visitor), "HubGate runs before every route"
    return found


def permits(visitor: Visitor, role: Role) -> bool:
    """True when `visitor` may do what needs `role`."""
    return visitor.role >= role


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None (absent, another
    scheme, empty or not a plausible token)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not _plausible(value):
        return None
    return value


def session_cookie(header: str | None) -> str | None:
    """The hub's session id from a `Cookie` header, or None."""
    if not header or len(header) > 16 * 1024:
        return None
    from starlette.requests import cookie_parser

    value = cookie_parser(header).get(COOKIE)
    return value if value is not None and _plausible(value) else None


def _plausible(value: str) -> bool:
    return 0 < len(value) <= _MAX_CREDENTIAL and value.isascii() and value.isprintable() \
        and " " not in value


def proxy_networks(texts: tuple[str, ...]) -> tuple[Network, ...]:
    """`--trusted-proxy` values as networks (an address is a network of one)."""
    try:
        return tuple(ipaddress.ip_network(text.strip(), strict=False) for text in texts)
    except ValueError as error:
        raise InvalidInput(f"--trusted-proxy: {error}",
                           hint="an address or network, e.g. 127.0.0.1 or 10.0.0.0/8") from None


def check_root_path(text: str) -> str:
    """`--root-path`: '' or a path like `/brain` (no trailing slash)."""
    path = text.rstrip("/")
    if path and (_PREFIX.fullmatch(path) is None or any(part in (".", "..")
                                                         for part in path.split("/"))):
        raise InvalidInput(f"--root-path {text!r} is not a plain path",
                           hint="a path such as /brain or /tools/brain")
    return path


def since_timestamp(text: str) -> float:
    """`brain hub audit --since`: a duration back from now (12h) or a date (2026-01-31)."""
    import time
    from datetime import datetime

    from brain.share.accounts import parse_duration

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return time.time() - parse_duration(text)
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str | None,
                   networks: tuple[Network, ...]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    address in X-Forwarded-For that is not a trusted proxy (the one a client cannot forge)."""
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop if _is_address(hop) else peer
    return hops[0] if hops and _is_address(hops[0]) else peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class HubGate:
    """The ASGI middleware that authenticates and authorizes every request (see module)."""

    def __init__(self, app: ASGIApp, *, routes: Callable[[], list[Any]],
                 accounts: HubAccounts | None, trusted: tuple[Network, ...] = (),
                 root_path: str = "") -> None:
        self.app = app
        self.routes = routes  # the app's routes, looked up per request (added late too)
        self.accounts = accounts  # None: anonymous mode
        self.trusted = trusted
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import Headers

        from brain.share import pages

        headers = Headers(scope=scope)
        peer = scope["client"][0] if scope.get("client") else ""
        from_proxy = _trusted(peer, self.trusted)
        client = client_address(peer, headers.get("x-forwarded-for"), self.trusted)
        root = self.root_path
        if from_proxy:
            root = check_prefix(headers.get("x-forwarded-prefix")) or root
            if headers.get("x-forwarded-proto") in ("https", "wss"):
                scope["scheme"] = "https" if scope["type"] == "http" else "wss"
        if root:
            scope["root_path"] = root
            if scope["path"] != root and not scope["path"].startswith(root + "/"):
                scope["path"] = root + scope["path"]
        role = self._route_role(scope)
        visitor, problem = await self._visitor(headers, client)
        pages.set_context(root, visitor.name if self.accounts is not None and
                          visitor.role > Role.PUBLIC else None)
        scope.setdefault("state", {})["visitor"] = visitor
        if role is None:
            await _refuse(scope, receive, send, 403,
                          "this address declares no role: nobody may use it")
        elif visitor.role >= role:
            await self.app(scope, receive, send)
        elif visitor.role == Role.PUBLIC:
            await _refuse(scope, receive, send, 401, problem, login=f"{root}/login")
        else:
            await _refuse(scope, receive, send, 403,
                          f"token {visitor.name!r} is a {visitor.role.label}; this needs "
                          f"the {role.label} role")

    def _route_role(self, scope: Scope) -> Role | None:
        """The role of the route that will answer (viewer for an unknown path: its 404
        is nobody else's business)."""
        from starlette.routing import Match

        partial: Any = None  # the path matches but not the method: the router answers 405
        for route in self.routes():
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return declared_role(route)
            if match is Match.PARTIAL and partial is None:
                partial = route
        return declared_role(partial) if partial is not None else Role.VIEWER

    async def _visitor(self, headers: Any, client: str) -> tuple[Visitor, str]:
        """Who sent the request, and, for nobody, why not."""
        if self.accounts is None:
            return Visitor("anonymous", Role.ADMIN, client), ""
        from starlette.concurrency import run_in_threadpool

        accounts = self.accounts
        token = bearer_token(headers.get("authorization"))
        session = None if token else session_cookie(headers.get("cookie"))
        account: Account | None = None
        if token is not None:
            account = await run_in_threadpool(accounts.check, token)
        elif session is not None:
            account = await run_in_threadpool(accounts.session, session)
        if account is not None:
            return Visitor(account.name, account.role, client, session), ""
        if headers.get("authorization") or session:
            problem = "the token is unknown, expired or revoked: sign in again or ask an " \
                "admin for a new one"
        else:
            problem = "this hub needs a token: send `Authorization: Bearer <token>` or " \
                "sign in at /login"
        return Visitor("nobody", Role.PUBLIC, client), problem


def check_prefix(value: str | None) -> str:
    """An X-Forwarded-Prefix value as a root path, or '' when absent or not a plain path."""
    if not value:
        return ""
    try:
        return check_root_path(value.split(",")[0].strip())
    except InvalidInput:
        return ""


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str,
                  login: str | None = None) -> None:
    """One clear line, before anything else happens: JSON for the API, a page for people
    (a browser without credentials is sent to the login form)."""
    from urllib.parse import quote

    from starlette.datastructures import Headers
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse

    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
        return
    headers = Headers(scope=scope)
    wants_page = "text/html" in headers.get("accept", "") and scope["method"] in ("GET", "HEAD")
    if status == 401 and login and wants_page:
        target = scope["path"] + ("?" + scope["query_string"].decode("latin-1")
                                  if scope.get("query_string") else "")
        response: Any = RedirectResponse(f"{login}?next={quote(target, safe='')}", 303)
    elif wants_page:
        from brain.share import pages

        response = HTMLResponse(pages.error_page(status, message, heading="Not allowed"),
                                status)
    else:
        response = JSONResponse({"error": message}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="brain hub"'
    await response(scope, receive, send)
