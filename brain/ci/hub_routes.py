"""The hub's CI API: per-project commit statuses that `brain ci run --record` and the git hook
write (brain.ci.status), as JSON. Pages are left to the hub's page module."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


def add_ci_routes(app: FastAPI) -> None:
    """GET /api/ci/projects (every project's commits, newest first) and
    GET /api/ci/commits/{sha} (one commit's full result)."""
    from fastapi.responses import JSONResponse

    from brain.ci.status import project_statuses, read_status
    from brain.share.accounts import Role
    from brain.share.hub_auth import requires

    # Every hub route declares its role (brain.share.hub_auth); a route that starts work
    # (a manual CI trigger) would need Role.LAUNCHER.
    @app.get("/api/ci/projects")
    @requires(Role.VIEWER)
    def ci_projects() -> dict[str, Any]:
        return {"projects": project_statuses()}

    @app.get("/api/ci/commits/{sha}", response_model=None)
    @requires(Role.VIEWER)
    def ci_commit(sha: str) -> JSONResponse:
        if not _SHA.fullmatch(sha):
            return JSONResponse({"error": "not a full commit id"}, 400)
        status = read_status(sha)
        if status is None:
            return JSONResponse({"error": f"no ci status for {sha}"}, 404)
        return JSONResponse(status)
