"""`brain hub`: the FastAPI app behind launch links.

Routes:
  GET  /                              recent launches (HTML); GET /api/launches: the same, JSON
  GET  /launch?<link query>           the project's page: description, parameter form, Launch
  POST /api/launches                  {"link": URL, "params": {...}} -> 202 {"id", "page", ...}
  GET  /api/launches/{id}             status, phase, exit code, run id, outputs, app URL
  GET  /api/launches/{id}/logs        the log from ?offset=N (text; X-Next-Offset header)
  GET  /launches/{id}                 the launch page: phases, live log, status, outputs, app
  GET  /launches/{id}/outputs/{name}  a declared output file of a finished launch (hub_files.py)
  GET  /launches/{id}/report          a notebook entry point's rendered HTML report (hub_files.py)
  GET  /launches/{id}/app             redirect to the app, on the hub: /apps/{id}/
  *    /apps/{id}/{path}                a running app, proxied (HTTP and WebSockets); a
                                      stopped app is started again (a new launch) on a visit
  POST /api/launches/{id}/stop        stop a running launch (apps run until stopped or idle)
  GET|POST /login, POST /logout       the sign-in form (a session cookie) with --auth tokens
  /api/tokens, /api/audit, /api/limits  accounts, audit log and limits (admins; hub_admin.py)

Every route declares the role it needs (brain.share.hub_auth.requires); the gate in front of the
app refuses a request without it (401/403) before the route runs. Anonymous mode (the default)
makes everyone an admin.

Every refusal is a 4xx with a one-line reason (JSON for /api, HTML for pages): 414 for an
oversized link, 400 for a malformed one or invalid parameters, 403 when the repository is not
allowed or the signature is missing or wrong, 429 past the concurrency cap. Format, size,
allowlist and signature are checked before anything is fetched; parameters are revalidated
against the spec at the commit before anything is built.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

# This module is imported only by `brain hub` (and its tests), so FastAPI loads only there;
# route signatures need these names at module level to be resolved.
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from brain.errors import BrainError
from brain.share.accounts import Role
from brain.share.hub_auth import requires

if TYPE_CHECKING:
    from brain.share.history import Launch

@dataclass(frozen=True)
class HubSettings:
    """How the hub runs and what it accepts."""

    host: str = "127.0.0.1"
    port: int = 8765
    allow: tuple[str, ...] = ()
    allow_data: tuple[str, ...] = ()  # dataset remotes launches may pull from (none)
    secret: str | None = None
    max_concurrent: int = 2
    timeout: float | None = None  # default: the hub_timeout setting
    state_dir: Path | None = None  # default BRAIN_HOME/hub
    tokens: bool = False  # --auth tokens: every request needs a token (else anonymous)
    max_per_user: int | None = None
    trusted_proxies: tuple[Any, ...] = ()  # ip networks whose X-Forwarded-* are believed
    root_path: str = ""  # the path prefix behind a reverse proxy, e.g. /brain


def create_app(settings: HubSettings) -> FastAPI:
    """The hub's ASGI app."""
    from contextlib import asynccontextmanager

    from starlette.concurrency import run_in_threadpool

    from brain.errors import InvalidInput
    from brain.paths import hub_dir
    from brain.share import pages
    from brain.share.accounts import HubAccounts, accounts_file
    from brain.share.history import FINAL_STATUSES, LaunchHistory
    from brain.share.hub_admin import add_account_routes, audit
    from brain.share.hub_auth import HubGate, permits, visitor_of
    from brain.share.hub_data import (
        capped_body,
        field_errors,
        has_port_parameter,
        launch_request,
        read_checks,
        read_summary,
        report_file,
        require_json,
        status_of,
        write_summary,
    )
    from brain.share.hub_files import add_file_routes
    from brain.share.launch import Policy, admit, describe, prepare
    from brain.share.launch_result import read_progress
    from brain.share.launcher import Launcher, LauncherSettings, read_log
    from brain.share.limits import check_launch_python, launch_user, limits_from_settings
    from brain.share.url import MAX_URL_BYTES, TooLong, parse_link

    limits = limits_from_settings()
    if settings.timeout is not None:
        limits = replace(limits, timeout=settings.timeout)
    user = launch_user(limits)  # a root hub without an unprivileged user refuses to start
    if user is not None:
        check_launch_python(limits, user)
    state = settings.state_dir or hub_dir()
    history = LaunchHistory(state / "launches.db")
    history.abandon_running()
    launcher = Launcher(LauncherSettings(state, settings.max_concurrent, settings.max_per_user,
                                         limits, user, settings.allow_data), history)
    accounts = HubAccounts(accounts_file(state))  # the audit log is kept in anonymous mode too
    policy = Policy(allow=settings.allow, secret=settings.secret, local_only_when_allowed=True)

    from brain.share.proxy import AppProxy, base_path

    proxy = AppProxy(launcher.app_port, launcher.visited, keep_authorization=not settings.tokens)
    restarted: dict[str, str] = {}  # a stopped app's launch -> the launch that restarted it

    async def sweep_idle_apps() -> None:
        import asyncio

        while True:
            await asyncio.sleep(min(30.0, max(1.0, limits.app_idle / 4)))
            proxy.keep_alive()
            await run_in_threadpool(launcher.stop_idle, limits.app_idle)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        import asyncio

        sweeper = asyncio.create_task(sweep_idle_apps())
        yield
        sweeper.cancel()
        await proxy.close()
        await run_in_threadpool(launcher.close)

    app = FastAPI(title="brain hub", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    # The one gate: who is asking, and whether the route they reach allows their role.
    app.add_middleware(HubGate, routes=lambda: app.router.routes,
                       accounts=accounts if settings.tokens else None,
                       trusted=settings.trusted_proxies, root_path=settings.root_path)
    from brain.ci.hub_routes import add_ci_routes

    add_ci_routes(app, policy, history)  # /ci, /api/ci: per-commit results of `brain ci`
    add_account_routes(app, accounts, launcher)

    def refusal(error: BrainError, *, html: bool) -> Response:
        from brain.errors import SpecInvalid

        code = status_of(error)
        message = error.message
        if isinstance(error, SpecInvalid):  # the spec at that commit: say what is wrong
            message = f"the project's onebrain.yml at this commit: {message}: " + \
                "; ".join(error.problems)
        if html:
            return HTMLResponse(pages.error_page(code, message, error.hint), code)
        return JSONResponse({"error": message, "hint": error.hint,
                             "fields": field_errors(message)}, code)

    def admitted(text: str) -> Any:
        link = parse_link(text)  # format and size: nothing fetched yet
        admit(link, policy)  # allowlist and signature: nothing fetched yet
        return link

    @app.get("/", response_class=HTMLResponse)
    @requires(Role.VIEWER)
    def index() -> str:
        return pages.index_page([(item, read_summary(item)) for item in history.recent()])

    @app.get("/favicon.svg", response_model=None)
    @app.get("/favicon.ico", response_model=None)
    @requires(Role.PUBLIC)
    def favicon() -> Response:
        return Response(pages.FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/launch", response_model=None)
    @requires(Role.VIEWER)
    def project(request: Request) -> Response:
        query = request.url.query
        try:
            if len(query.encode()) > MAX_URL_BYTES:
                raise TooLong(f"the link is {len(query.encode())} bytes, over the "
                              f"{MAX_URL_BYTES}-byte limit")
            # The link names the hub it was made for; this hub is where it was opened.
            link = replace(admitted(query), hub=str(request.base_url).rstrip("/"))
            prepared = prepare(link)
            page = describe(prepared)
            return HTMLResponse(pages.project_page(link, page, page.entry_description))
        except BrainError as error:
            return refusal(error, html=True)

    @app.get("/launches/{launch_id}/again", response_model=None)
    @requires(Role.VIEWER)
    def again(launch_id: str, request: Request) -> Response:
        """The project page of a launch's link, its form filled with that launch's values."""
        launch = history.get(launch_id)
        if launch is None:
            return HTMLResponse(pages.error_page(404, f"no launch {launch_id!r} on this hub"),
                                404)
        try:
            # The link as it was admitted (signed, when it was), with this launch's values.
            source = read_summary(launch).get("source_link") or launch.link
            link = replace(parse_link(source), hub=str(request.base_url).rstrip("/"))
            values = {key: value for key, value in launch.params.items()}
            page = describe(prepare(link, params=values))
            return HTMLResponse(pages.project_page(link, page, page.entry_description))
        except BrainError as error:
            return refusal(error, html=True)

    @app.post("/api/launches", response_model=None)
    @requires(Role.LAUNCHER)
    async def create(request: Request) -> Response:
        try:
            body = await capped_body(request, 2 * MAX_URL_BYTES)
            require_json(request)  # no cross-site form can post a launch (or a CI trigger)
            link_text, params = launch_request(body)
            link = admitted(link_text)
            launch = await run_in_threadpool(start, link, params, request)
        except BrainError as error:
            return refusal(error, html=False)
        return JSONResponse({**_status(launch.id),
                             "page": f"{pages.root()}/launches/{launch.id}"}, 202)

    def start(link: Any, params: dict[str, str] | None, request: Any) -> Launch:
        """Prepare and start a launch for whoever sent `request` (audited); an app gets a
        free port the hub chooses. Past a launch limit, refused before anything is fetched."""
        launcher.check_room(visitor_of(request).name)
        prepared = prepare(link, params=params)
        port = prepared.plan.port
        if prepared.plan.entry_type == "app" and has_port_parameter(prepared):
            port = launcher.free_port()
            chosen = {**(params if params is not None else prepared.link.params),
                      "port": str(port)}
            prepared = prepare(link, params=chosen)
        launch = launcher.start(prepared.link, prepared.checkout.root, app_port=port,
                                owner=visitor_of(request).name, root=pages.root())
        write_summary(launch, prepared, source_link=link.to_url())
        audit(accounts, request, "launch", f"{launch.id} {link.repo}@{link.commit[:12]} "
              f"{prepared.plan.entry_name}")
        return launch

    @app.get("/api/launches")
    @requires(Role.VIEWER)
    def listing() -> list[dict[str, Any]]:
        return [item.as_dict() for item in history.recent()]

    def _status(launch_id: str) -> dict[str, Any]:
        launch = history.get(launch_id)
        if launch is None:
            raise InvalidInput(f"no launch {launch_id!r} on this hub")
        progress = read_progress(launch)
        finished = launch.status in FINAL_STATUSES
        phase = "done" if launch.status == "succeeded" else progress.phase
        # A report exists only once a launch has ended: no file system look-up while it runs.
        root = pages.root()
        report = f"{root}/launches/{launch.id}/report" if finished and report_file(launch) \
            else None
        # An app is reached on the hub itself, never at the address it reported.
        app_url = base_path(launch.id, root) if launch.app_url or progress.app_url else None
        return {**launch.as_dict(), "phase": phase, "finished": finished,
                "phases": pages.phase_states(launch.status, phase),
                "app_url": app_url, "report": report, "restarted_as": restarted.get(launch.id),
                "checks": read_checks(launch) if finished else []}

    @app.get("/api/launches/{launch_id}", response_model=None)
    @requires(Role.VIEWER)
    def status(launch_id: str) -> Response:
        try:
            return JSONResponse(_status(launch_id))
        except BrainError as error:
            return JSONResponse({"error": error.message}, 404)

    @app.get("/api/launches/{launch_id}/logs", response_model=None)
    @requires(Role.VIEWER)
    def logs(launch_id: str, offset: int = 0) -> Response:
        launch = history.get(launch_id)
        if launch is None:
            return JSONResponse({"error": f"no launch {launch_id!r} on this hub"}, 404)
        data, following = read_log(Path(launch.log_path), offset)
        return PlainTextResponse(data.decode("utf-8", "replace"),
                                 headers={"X-Next-Offset": str(following),
                                          "X-Launch-Status": launch.status})

    @app.post("/api/launches/{launch_id}/stop", response_model=None)
    @requires(Role.LAUNCHER)
    async def stop(launch_id: str, request: Request) -> Response:
        if history.get(launch_id) is None:
            return JSONResponse({"error": f"no launch {launch_id!r} on this hub"}, 404)
        if not await run_in_threadpool(launcher.stop, launch_id):
            return JSONResponse({"error": f"launch {launch_id} is not running"}, 409)
        audit(accounts, request, "stop", launch_id)
        return JSONResponse(_status(launch_id))

    @app.get("/launches/{launch_id}/app", response_model=None)
    @requires(Role.VIEWER)
    def app_redirect(launch_id: str) -> Response:
        from fastapi.responses import RedirectResponse

        try:
            found = _status(launch_id)
        except BrainError as error:
            return HTMLResponse(pages.error_page(404, error.message), 404)
        if not found["app_url"] or found["finished"]:
            return HTMLResponse(pages.error_page(
                409, f"launch {launch_id} has no running app", "wait for its port to answer"),
                409)
        return RedirectResponse(base_path(launch_id, pages.root()), 307)

    @app.api_route("/apps/{launch_id}", methods=["GET", "HEAD"], response_model=None)
    @requires(Role.VIEWER)
    def app_root(launch_id: str) -> Response:
        from fastapi.responses import RedirectResponse

        return RedirectResponse(base_path(launch_id, pages.root()), 307)

    @app.api_route("/apps/{launch_id}/{path:path}", response_model=None,
                   methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    @requires(Role.VIEWER)
    async def app_http(request: Request, launch_id: str, path: str) -> Response:
        port = launcher.app_port(launch_id)
        if port is None:
            return await run_in_threadpool(app_not_running, launch_id, request)
        return await proxy.http(request, launch_id, path, port)

    @app.websocket("/apps/{launch_id}/{path:path}")
    @requires(Role.VIEWER)
    async def app_socket(socket: WebSocket, launch_id: str, path: str) -> None:
        port = launcher.app_port(launch_id)
        if port is None:
            await socket.close(1013)  # try again later: the app is not running
            return
        await proxy.websocket(socket, launch_id, path, port)

    def app_not_running(launch_id: str, request: Request) -> Response:
        """A page for an app that is not running: starting, stopped (then started again, for
        someone who may launch), or never an app."""
        launch = history.get(launch_id)
        if launch is None:
            return HTMLResponse(pages.error_page(404, f"no launch {launch_id!r} on this hub"),
                                404)
        if launch.status == "running":
            return HTMLResponse(pages.app_waiting(launch, launch.id), 503,
                                headers={"Retry-After": "2"})
        if launch.status != "stopped" or not launch.app_url:
            return HTMLResponse(pages.error_page(
                409, f"launch {launch_id} has no running app", "open its launch page"), 409)
        again = restarted.get(launch_id)
        if again is None and not permits(visitor_of(request), Role.LAUNCHER):
            return HTMLResponse(pages.error_page(
                403, f"the app of launch {launch_id} was stopped; starting it again needs the "
                "launcher role", "ask someone who may launch to open it"), 403)
        if again is None:
            try:
                again = start(parse_link(launch.link), None, request).id  # admitted before
            except BrainError as error:
                return refusal(error, html=True)
            restarted[launch_id] = again
        return HTMLResponse(pages.app_waiting(launch, again), 503, headers={"Retry-After": "2"})

    @app.get("/launches/{launch_id}", response_class=HTMLResponse, response_model=None)
    @requires(Role.VIEWER)
    def launch_page(launch_id: str) -> Response:
        launch = history.get(launch_id)
        if launch is None:
            return HTMLResponse(pages.error_page(404, f"no launch {launch_id!r} on this hub"),
                                404)
        progress = read_progress(launch)
        finished = launch.status in FINAL_STATUSES
        log = ""
        if finished and launch.status != "succeeded":
            size = Path(launch.log_path).stat().st_size if Path(launch.log_path).exists() else 0
            log = read_log(Path(launch.log_path), max(0, size - 64 * 1024))[0].decode(
                "utf-8", "replace")
        sandbox = Path(launch.log_path).parent / "sandbox"
        roots = [launch.project_dir or "", str(sandbox / "repo" / launch.path),
                 str(sandbox / "repo"), str(sandbox)]
        report = f"{pages.root()}/launches/{launch.id}/report" \
            if finished and report_file(launch) else None
        return HTMLResponse(pages.launch_page(
            launch, read_summary(launch), phase=progress.phase, log=log, roots=roots,
            report=report, app_running=bool(progress.app_url),
            checks=read_checks(launch) if finished else None))

    add_file_routes(app, history, accounts)

    app.state.launcher = launcher
    app.state.history = history
    app.state.accounts = accounts
    return app
