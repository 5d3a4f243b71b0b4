"""The hub's file routes: a finished launch's declared outputs and its notebook report, each
download audited."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from brain.share.accounts import Role
from brain.share.hub_auth import requires

if TYPE_CHECKING:
    from brain.share.accounts import HubAccounts
    from brain.share.history import LaunchHistory


def add_file_routes(app: FastAPI, history: LaunchHistory, accounts: HubAccounts) -> None:
    """GET /launches/{id}/outputs/{name} and GET /launches/{id}/report."""
    from brain.share import pages
    from brain.share.hub_admin import audit
    from brain.share.hub_data import report_file

    @app.get("/launches/{launch_id}/outputs/{name:path}", response_model=None)
    @requires(Role.VIEWER)
    def output_file(launch_id: str, name: str, request: Request) -> Response:
        from fastapi.responses import FileResponse

        launch = history.get(launch_id)
        # Only files the spec declared as outputs, inside the run's project folder.
        if launch is None or launch.project_dir is None or name not in launch.outputs:
            return JSONResponse({"error": f"no output {name!r} for launch {launch_id!r}"}, 404)
        root = Path(launch.project_dir).resolve()
        target = (root / name).resolve()
        if root not in target.parents or not target.is_file():
            return JSONResponse({"error": f"output {name!r} is not a file"}, 404)
        audit(accounts, request, "download", f"{launch_id} {name}")
        return FileResponse(target)

    @app.get("/launches/{launch_id}/report", response_model=None)
    @requires(Role.VIEWER)
    def report(launch_id: str, request: Request) -> Response:
        from fastapi.responses import FileResponse

        launch = history.get(launch_id)
        found = report_file(launch) if launch is not None else None
        if found is None:
            return HTMLResponse(pages.error_page(
                404, f"launch {launch_id} has no notebook report",
                "only notebook entry points render one, once they finish"), 404)
        audit(accounts, request, "download", f"{launch_id} report")
        return FileResponse(found, media_type="text/html")
