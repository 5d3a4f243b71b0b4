"""The hub's account routes: sign in and out (a session cookie), tokens, the audit log and
the launch limits through the API (admins), and `audit`, which every route that launches or
serves a download calls."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

# Imported only by the hub; route signatures need Request resolvable at module level.
from fastapi import Request

from brain.share.accounts import Role
from brain.share.hub_auth import COOKIE, requires, visitor_of

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.requests import HTTPConnection

    from brain.share.accounts import HubAccounts
    from brain.share.launcher import Launcher

_FORM_LIMIT = 4096  # a sign-in form: one token and a path


def audit(accounts: HubAccounts, connection: HTTPConnection, action: str, target: str) -> None:
    """Record that the request's visitor did `action` to `target`, and from where."""
    visitor = visitor_of(connection)
    accounts.record(visitor.name, action, target, visitor.client)


def safe_next(value: str | None, root: str) -> str:
    """Where to go after signing in: a path on this hub (under `root`), never elsewhere."""
    home = f"{root}/"
    if not value or not value.startswith(home) or value.startswith("//") \
            or "\\" in value or not value.isprintable():
        return home
    return value


def add_account_routes(app: FastAPI, accounts: HubAccounts, launcher: Launcher) -> None:
    """/login, /logout, /api/tokens, /api/audit and /api/limits on `app`."""
    from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.concurrency import run_in_threadpool

    from brain.errors import BrainError
    from brain.share import pages
    from brain.share.accounts import parse_duration, role_named
    from brain.share.hub_data import capped_body

    @app.get("/login", response_class=HTMLResponse)
    @requires(Role.PUBLIC)
    def login_form(next: str | None = None) -> str:
        return pages.login_page(safe_next(next, pages.root()))

    @app.post("/login", response_model=None)
    @requires(Role.PUBLIC)
    async def login(request: Request) -> Response:
        root = pages.root()
        try:
            body = await capped_body(request, _FORM_LIMIT)
        except BrainError as error:
            return HTMLResponse(pages.login_page(f"{root}/", error.message), 413)
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
        target = safe_next((form.get("next") or [""])[0], root)
        token = (form.get("token") or [""])[0].strip()
        session = await run_in_threadpool(accounts.open_session, token) if token else None
        if session is None:
            return HTMLResponse(pages.login_page(
                target, "That token is unknown, expired or revoked."), 401)
        account = await run_in_threadpool(accounts.session, session)
        client = visitor_of(request).client
        if account is not None:
            await run_in_threadpool(accounts.record, account.name, "sign-in", "session", client)
        response = RedirectResponse(target, 303)
        response.set_cookie(COOKIE, session, path=f"{root}/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    @app.post("/logout", response_model=None)
    @requires(Role.PUBLIC)
    async def logout(request: Request) -> Response:
        session = visitor_of(request).session
        if session is not None:
            await run_in_threadpool(accounts.close_session, session)
        response = RedirectResponse(f"{pages.root()}/login", 303)
        response.delete_cookie(COOKIE, path=f"{pages.root()}/", httponly=True,
                               samesite="strict")
        return response

    @app.get("/api/tokens")
    @requires(Role.ADMIN)
    def token_list() -> list[dict[str, object]]:
        return [account.as_dict() for account in accounts.accounts()]

    @app.post("/api/tokens", response_model=None)
    @requires(Role.ADMIN)
    async def token_create(request: Request) -> Response:
        import json

        try:
            data = json.loads(await capped_body(request, _FORM_LIMIT) or b"{}")
            if not isinstance(data, dict) or not all(
                    isinstance(data.get(key), str) for key in ("name", "role")):
                return JSONResponse({"error": 'expected {"name": ..., "role": ..., '
                                              '"expires": "30d" (optional)}'}, 400)
            expires = data.get("expires")
            lifetime = parse_duration(expires) if isinstance(expires, str) else None
            token = await run_in_threadpool(accounts.create, data["name"],
                                            role_named(data["role"]), lifetime=lifetime)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, 400)
        except BrainError as error:
            return JSONResponse({"error": error.message, "hint": error.hint}, 400)
        audit(accounts, request, "token-create", f"{data['name']} ({data['role']})")
        return JSONResponse({"name": data["name"], "role": data["role"], "token": token}, 201)

    @app.delete("/api/tokens/{name}", response_model=None)
    @requires(Role.ADMIN)
    def token_revoke(name: str, request: Request) -> Response:
        try:
            accounts.revoke(name)
        except BrainError as error:
            return JSONResponse({"error": error.message}, 404)
        audit(accounts, request, "token-revoke", name)
        return JSONResponse({"revoked": name})

    @app.get("/api/audit")
    @requires(Role.ADMIN)
    def audit_log(since: float | None = None) -> list[dict[str, object]]:
        return [entry.as_dict() for entry in accounts.audit(since)]

    @app.get("/api/limits")
    @requires(Role.ADMIN)
    def limits() -> dict[str, Any]:
        return _limits(launcher)

    @app.put("/api/limits", response_model=None)
    @requires(Role.ADMIN)
    async def set_limits(request: Request) -> Response:
        import json

        try:
            data = json.loads(await capped_body(request, _FORM_LIMIT) or b"{}")
        except (ValueError, BrainError):
            return JSONResponse({"error": "the body is not JSON"}, 400)
        if not isinstance(data, dict) or set(data) - {"max_concurrent", "max_launches_per_user"}:
            return JSONResponse({"error": 'expected {"max_concurrent": N, '
                                          '"max_launches_per_user": N or null}'}, 400)
        settings = launcher.settings
        if "max_concurrent" in data:
            if not _count(data["max_concurrent"]):
                return JSONResponse({"error": "max_concurrent must be a whole number >= 1"}, 400)
            settings = replace(settings, max_concurrent=data["max_concurrent"])
        if "max_launches_per_user" in data:
            value = data["max_launches_per_user"]
            if value is not None and not _count(value):
                return JSONResponse({"error": "max_launches_per_user must be a whole number "
                                              ">= 1 or null"}, 400)
            settings = replace(settings, max_per_user=value)
        launcher.settings = settings
        audit(accounts, request, "limits", json.dumps(_limits(launcher)))
        return JSONResponse(_limits(launcher))


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _limits(launcher: Launcher) -> dict[str, Any]:
    return {"max_concurrent": launcher.settings.max_concurrent,
            "max_launches_per_user": launcher.settings.max_per_user}
