"""The hub's CI pages and API: per-project commit statuses that `brain ci run --record` and the
git hook write (brain.ci.status).

Routes:
  GET /api/ci/projects                        every project's commits, newest first (JSON)
  GET /api/ci/commits/{sha}                   one commit's full result (JSON)
  GET /ci                                     every project that went through CI (HTML)
  GET /ci/projects/{namespace}/{name}         its commits: status, tests, reports, trends
  GET /ci/projects/{namespace}/{name}/commits/{sha}          one commit, and the manual
                                              trigger: a form per report entry point
  GET /ci/projects/{namespace}/{name}/commits/{sha}/reports/{run_id}   a kept report

The manual trigger adds no route of its own: its form posts the commit's launch link and the
chosen values to POST /api/launches, the hub's launch route, so a report runs exactly as a
launch does (allowlist, signature, parameters revalidated against the spec at that commit,
a clean working copy of the commit, the launch limits) and whatever guards launches guards it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Imported only by the hub, where FastAPI is loaded anyway; route signatures need the name
# at module level to be resolved.
from fastapi import Request

from brain.ci.overview import RUN_ID, SHA

if TYPE_CHECKING:
    from fastapi import FastAPI

    from brain.ci.overview import CommitView
    from brain.share.history import Launch, LaunchHistory
    from brain.share.launch import Policy
    from brain.share.pages import FormField
    from brain.share.url import LaunchLink

_MANUAL_LISTED = 20


@dataclass(frozen=True)
class TriggerForm:
    """A report entry point of the commit, as a form: its launch link and its parameters."""

    entry: str
    what: str
    link_url: str
    fields: list[FormField]


def add_ci_routes(app: FastAPI, policy: Policy, history: LaunchHistory) -> None:
    """The routes above; `policy` is the hub's own (the trigger's links are admitted by it)."""
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

    from brain.ci import overview
    from brain.ci.status import project_statuses, read_status, read_statuses
    from brain.share import pages

    def missing(message: str, hint: str | None = None, code: int = 404) -> HTMLResponse:
        return HTMLResponse(pages.error_page(code, message, hint, heading="Not found"), code)

    def known(namespace: str, name: str) -> tuple[str, list[CommitView]] | HTMLResponse:
        if not overview.is_project_key(namespace, name):
            return missing("not a project name", "names are lowercase letters, digits, . _ -",
                           400)
        key = f"{namespace}/{name}"
        commits = overview.project_commits(read_statuses(), key)
        if not commits:
            return missing(f"no commit of {key} has been through CI on this hub",
                           "push to a repository whose hook is `brain ci hook install`")
        return key, commits

    from brain.share.accounts import Role
    from brain.share.hub_auth import requires

    # Every hub route declares its role (brain.share.hub_auth). These only read; the manual
    # trigger posts to the hub's launch route, which needs Role.LAUNCHER.
    @app.get("/api/ci/projects")
    @requires(Role.VIEWER)
    def ci_projects() -> dict[str, Any]:
        return {"projects": project_statuses()}

    @app.get("/api/ci/commits/{sha}", response_model=None)
    @requires(Role.VIEWER)
    def ci_commit(sha: str) -> JSONResponse:
        if not SHA.fullmatch(sha):
            return JSONResponse({"error": "not a full commit id"}, 400)
        status = read_status(sha)
        if status is None:
            return JSONResponse({"error": f"no ci status for {sha}"}, 404)
        return JSONResponse(status)

    @app.get("/ci", response_class=HTMLResponse)
    @requires(Role.VIEWER)
    def ci_index() -> str:
        return pages.render_page("ci_index.html", title="tested commits",
                                 projects=overview.project_keys(read_statuses()))

    @app.get("/ci/projects/{namespace}/{name}", response_model=None)
    @requires(Role.VIEWER)
    def ci_project(namespace: str, name: str) -> Response:
        found = known(namespace, name)
        if isinstance(found, HTMLResponse):
            return found
        key, commits = found
        return HTMLResponse(pages.render_page(
            "ci_project.html", title=key, key=key, commits=commits,
            trends=overview.trends(commits), when=pages.when))

    @app.get("/ci/projects/{namespace}/{name}/commits/{sha}", response_model=None)
    @requires(Role.VIEWER)
    def ci_commit_page(namespace: str, name: str, sha: str, request: Request) -> Response:
        found = known(namespace, name)
        if isinstance(found, HTMLResponse):
            return found
        key, commits = found
        if not SHA.fullmatch(sha):
            return missing("not a full commit id", "40 (or 64) hex digits", 400)
        status = read_status(sha)
        view = overview.commit_view(status, key, outputs=True) if status else None
        if view is None:
            return missing(f"commit {sha[:12]} did not run {key} through CI")
        forms, why_not = trigger_forms(view, policy, str(request.base_url).rstrip("/"))
        return HTMLResponse(pages.render_page(
            "ci_commit.html", title=f"{key} at {view.short}", key=key, commit=view,
            trends=overview.trends(commits), forms=forms, why_not=why_not,
            manual=manual_runs(history, view), when=pages.when))

    @app.get("/ci/projects/{namespace}/{name}/commits/{sha}/reports/{run_id}",
             response_model=None)
    @requires(Role.VIEWER)
    def ci_report(namespace: str, name: str, sha: str, run_id: str) -> Response:
        if not (overview.is_project_key(namespace, name) and SHA.fullmatch(sha)
                and RUN_ID.fullmatch(run_id)):
            return missing("no such report", code=400)
        status = read_status(sha)
        view = overview.commit_view(status, f"{namespace}/{name}") if status else None
        kept = overview.report_file(status, view.path, run_id) \
            if status and view and any(r.run_id == run_id for r in view.reports) else None
        if kept is None:
            return missing(f"no kept report of run {run_id} for this commit",
                           "reports are kept when a push runs CI through the git hook")
        return FileResponse(kept, media_type="text/html")


def trigger_forms(view: CommitView, policy: Policy, hub: str
                  ) -> tuple[list[TriggerForm], str | None]:
    """A form per report entry point of the project at this commit, or why there is none.
    Every link is admitted by the hub's policy before anything is fetched, signed when the
    hub signs, and its parameters described from the spec at the commit."""
    from brain.ci.plan import is_report_entry, is_test_entry
    from brain.errors import BrainError
    from brain.share.launch import admit, describe, fetch_project, prepare
    from brain.share.pages import form_field, in_words
    from brain.share.url import make_link

    if view.repository is None:
        return [], ("this commit was recorded without its repository (`brain ci run "
                    "--record`): reports can be run here for commits pushed through the hook")

    def signed(link: LaunchLink) -> LaunchLink:  # the hub vouches for links of its own pages
        return link.sign(policy.secret) if policy.secret else link

    try:
        base = signed(make_link(repository_url(view.repository), view.sha, path=view.path,
                                hub=hub))
        admit(base, policy)
        checkout, project = fetch_project(base)
        forms = []
        for entry, spec in project.spec.entry_points.items():
            if is_test_entry(entry) or not is_report_entry(entry, spec.type):
                continue
            link = signed(replace(base, entry=entry))
            admit(link, policy)
            page = describe(prepare(link, checkout_root=checkout.root))
            forms.append(TriggerForm(entry, in_words(entry, spec.type, spec.description),
                                     link.to_url(), [form_field(f) for f in page.fields]))
    except BrainError as error:
        return [], error.message
    return forms, None if forms else "this project has no report entry point at this commit"


def repository_url(repository: str) -> str:
    """A launch link's repo for a recorded repository (the hook records a bare folder)."""
    return Path(repository).as_uri() if repository.startswith("/") else repository


def manual_runs(history: LaunchHistory, view: CommitView) -> list[dict[str, Any]]:
    """Reports run by hand for this commit of this project, newest first."""
    from brain.share.history import FINAL_STATUSES
    from brain.share.hub_data import report_file
    from brain.share.url import normalize_path

    if view.repository is None:
        return []
    repo, path = repository_url(view.repository), normalize_path(view.path)  # "." is ""
    found: list[Launch] = [launch for launch in history.recent(500)
                           if launch.commit_sha == view.sha and launch.repo == repo
                           and launch.path == path][:_MANUAL_LISTED]
    return [{"id": launch.id, "entry": launch.entry or "", "status": launch.status,
             "params": ", ".join(f"{k} = {v}" for k, v in sorted(launch.params.items())),
             "started": launch.created_at,
             "report": f"/launches/{launch.id}/report"
             if launch.status in FINAL_STATUSES and report_file(launch) else None}
            for launch in found]
