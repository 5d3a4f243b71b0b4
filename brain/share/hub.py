"""`brain hub`: the FastAPI app behind launch links.

Routes:
  GET  /                              recent launches (HTML); GET /api/launches: the same, JSON
  GET  /launch?<link query>           the project's page: description, parameter form, Launch
  POST /api/launches                  {"link": URL, "params": {...}} -> 202 {"id", "page", ...}
  GET  /api/launches/{id}             status, phase, exit code, run id, outputs, app URL
  GET  /api/launches/{id}/logs        the log from ?offset=N (text; X-Next-Offset header)
  GET  /launches/{id}                 the launch page: phases, live log, status, outputs, app
  GET  /launches/{id}/outputs/{name}  a declared output file of a finished launch
  GET  /launches/{id}/report          a notebook entry point's rendered HTML report
  GET  /launches/{id}/app             redirect to the app, on the hub: /apps/{id}/
  *    /apps/{id}/{path}                a running app, proxied (HTTP and WebSockets); a
                                      stopped app is started again (a new launch) on a visit
  POST /api/launches/{id}/stop        stop a running launch (apps run until stopped or idle)

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

if TYPE_CHECKING:
    from brain.share.history import Launch

# h11 refuses longer request heads with a bare 400; above our own limit, so that an
# oversized link still gets brain's clear 414.
_MAX_REQUEST_HEAD = 256 * 1024


@dataclass(frozen=True)
class HubSettings:
    """How the hub runs and what it accepts."""

    host: str = "127.0.0.1"
    port: int = 8765
    allow: tuple[str, ...] = ()
    secret: str | None = None
    max_concurrent: int = 2
    timeout: float | None = None  # default: the hub_timeout setting
    state_dir: Path | None = None  # default BRAIN_HOME/hub


def hub_dir() -> Path:
    """The hub's state: `BRAIN_HOME/hub` (launch history and logs)."""
    from brain.paths import brain_home

    return brain_home() / "hub"


def create_app(settings: HubSettings) -> FastAPI:
    """The hub's ASGI app."""
    from contextlib import asynccontextmanager

    from starlette.concurrency import run_in_threadpool

    from brain.errors import InvalidInput
    from brain.share import pages
    from brain.share.history import FINAL_STATUSES, LaunchHistory
    from brain.share.hub_data import (
        capped_body,
        field_errors,
        has_port_parameter,
        launch_request,
        read_checks,
        read_summary,
        report_file,
        status_of,
        write_summary,
    )
    from brain.share.launch import Policy, admit, describe, prepare
    from brain.share.launcher import Launcher, LauncherSettings, read_log, read_progress
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
    launcher = Launcher(LauncherSettings(state, settings.max_concurrent, limits, user), history)
    policy = Policy(allow=settings.allow, secret=settings.secret, local_only_when_allowed=True)

    from brain.share.proxy import AppProxy, base_path

    proxy = AppProxy(launcher.app_port, launcher.visited)
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
        await run_in_threadpool(launcher.stop_all)

    app = FastAPI(title="brain hub", lifespan=lifespan, docs_url=None, redoc_url=None)
    from brain.ci.hub_routes import add_ci_routes

    add_ci_routes(app)  # /api/ci/...: per-commit statuses of `brain ci`

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
    def index() -> str:
        return pages.index_page([(item, read_summary(item)) for item in history.recent()])

    @app.get("/favicon.svg", response_model=None)
    @app.get("/favicon.ico", response_model=None)
    def favicon() -> Response:
        return Response(pages.FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/launch", response_model=None)
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
    async def create(request: Request) -> Response:
        try:
            body = await capped_body(request, 2 * MAX_URL_BYTES)
            link_text, params = launch_request(body)
            link = admitted(link_text)
            launch = await run_in_threadpool(start, link, params)
        except BrainError as error:
            return refusal(error, html=False)
        return JSONResponse({**_status(launch.id), "page": f"/launches/{launch.id}"}, 202)

    def start(link: Any, params: dict[str, str] | None) -> Launch:
        """Prepare and start a launch; an app gets a free port the hub chooses."""
        prepared = prepare(link, params=params)
        port = prepared.plan.port
        if prepared.plan.entry_type == "app" and has_port_parameter(prepared):
            port = launcher.free_port()
            chosen = {**(params if params is not None else prepared.link.params),
                      "port": str(port)}
            prepared = prepare(link, params=chosen)
        launch = launcher.start(prepared.link, prepared.checkout.root, app_port=port)
        write_summary(launch, prepared, source_link=link.to_url())
        return launch

    @app.get("/api/launches")
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
        report = f"/launches/{launch.id}/report" if finished and report_file(launch) else None
        # An app is reached on the hub itself, never at the address it reported.
        app_url = base_path(launch.id) if launch.app_url or progress.app_url else None
        return {**launch.as_dict(), "phase": phase, "finished": finished,
                "phases": pages.phase_states(launch.status, phase),
                "app_url": app_url, "report": report, "restarted_as": restarted.get(launch.id),
                "checks": read_checks(launch) if finished else []}

    @app.get("/api/launches/{launch_id}", response_model=None)
    def status(launch_id: str) -> Response:
        try:
            return JSONResponse(_status(launch_id))
        except BrainError as error:
            return JSONResponse({"error": error.message}, 404)

    @app.get("/api/launches/{launch_id}/logs", response_model=None)
    def logs(launch_id: str, offset: int = 0) -> Response:
        launch = history.get(launch_id)
        if launch is None:
            return JSONResponse({"error": f"no launch {launch_id!r} on this hub"}, 404)
        data, following = read_log(Path(launch.log_path), offset)
        return PlainTextResponse(data.decode("utf-8", "replace"),
                                 headers={"X-Next-Offset": str(following),
                                          "X-Launch-Status": launch.status})

    @app.post("/api/launches/{launch_id}/stop", response_model=None)
    async def stop(launch_id: str) -> Response:
        if history.get(launch_id) is None:
            return JSONResponse({"error": f"no launch {launch_id!r} on this hub"}, 404)
        if not await run_in_threadpool(launcher.stop, launch_id):
            return JSONResponse({"error": f"launch {launch_id} is not running"}, 409)
        return JSONResponse(_status(launch_id))

    @app.get("/launches/{launch_id}/app", response_model=None)
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
        return RedirectResponse(base_path(launch_id), 307)

    @app.api_route("/apps/{launch_id}", methods=["GET", "HEAD"], response_model=None)
    def app_root(launch_id: str) -> Response:
        from fastapi.responses import RedirectResponse

        return RedirectResponse(base_path(launch_id), 307)

    @app.api_route("/apps/{launch_id}/{path:path}", response_model=None,
                   methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def app_http(request: Request, launch_id: str, path: str) -> Response:
        port = launcher.app_port(launch_id)
        if port is None:
            return await run_in_threadpool(app_not_running, launch_id)
        return await proxy.http(request, launch_id, path, port)

    @app.websocket("/apps/{launch_id}/{path:path}")
    async def app_socket(socket: WebSocket, launch_id: str, path: str) -> None:
        port = launcher.app_port(launch_id)
        if port is None:
            await socket.close(1013)  # try again later: the app is not running
            return
        await proxy.websocket(socket, launch_id, path, port)

    def app_not_running(launch_id: str) -> Response:
        """A page for an app that is not running: starting, stopped (then started again), or
        never an app."""
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
        if again is None:
            try:
                again = start(parse_link(launch.link), None).id  # admitted before
            except BrainError as error:
                return refusal(error, html=True)
            restarted[launch_id] = again
        return HTMLResponse(pages.app_waiting(launch, again), 503, headers={"Retry-After": "2"})

    @app.get("/launches/{launch_id}", response_class=HTMLResponse, response_model=None)
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
        report = f"/launches/{launch.id}/report" if finished and report_file(launch) else None
        return HTMLResponse(pages.launch_page(
            launch, read_summary(launch), phase=progress.phase, log=log, roots=roots,
            report=report, app_running=bool(progress.app_url),
            checks=read_checks(launch) if finished else None))

    @app.get("/launches/{launch_id}/outputs/{name:path}", response_model=None)
    def output_file(launch_id: str, name: str) -> Response:
        from fastapi.responses import FileResponse

        launch = history.get(launch_id)
        # Only files the spec declared as outputs, inside the run's project folder.
        if launch is None or launch.project_dir is None or name not in launch.outputs:
            return JSONResponse({"error": f"no output {name!r} for launch {launch_id!r}"}, 404)
        root = Path(launch.project_dir).resolve()
        target = (root / name).resolve()
        if root not in target.parents or not target.is_file():
            return JSONResponse({"error": f"output {name!r} is not a file"}, 404)
        return FileResponse(target)

    @app.get("/launches/{launch_id}/report", response_model=None)
    def report(launch_id: str) -> Response:
        from fastapi.responses import FileResponse

        launch = history.get(launch_id)
        found = report_file(launch) if launch is not None else None
        if found is None:
            return HTMLResponse(pages.error_page(
                404, f"launch {launch_id} has no notebook report",
                "only notebook entry points render one, once they finish"), 404)
        return FileResponse(found, media_type="text/html")

    app.state.launcher = launcher
    app.state.history = history
    return app


def serve(settings: HubSettings) -> None:
    """Run the hub until interrupted."""
    import socket

    import uvicorn

    from brain.errors import EnvironmentFailure

    # uvicorn would log a bind failure and exit 1; say it as brain says things instead.
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((settings.host, settings.port))
    except OSError as error:
        raise EnvironmentFailure(f"cannot listen on {settings.host}:{settings.port}: "
                                 f"{error.strerror}",
                                 hint="pick another --port, or stop what listens there") \
            from None
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            http="h11", h11_max_incomplete_event_size=_MAX_REQUEST_HEAD,
                            lifespan="on")
    uvicorn.Server(config).run()
