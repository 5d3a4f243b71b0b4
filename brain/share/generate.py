"""`brain generate-url`: a launch link that pins this project's exact commit.

The link names the repository's remote (so anyone can fetch it), HEAD's full SHA, the
project's folder inside the repository (monorepos), the entry point and the parameters, each
validated against the spec before the link is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from brain.errors import InvalidInput
from brain.share.url import DEFAULT_HUB, LaunchLink, make_link
from brain.vcs.urls import is_git_url

SECRET_VARIABLE = "BRAIN_HUB_SECRET"


@dataclass(frozen=True)
class GeneratedLink:
    """A link and what the author should know about it."""

    link: LaunchLink
    url: str
    warnings: list[str] = field(default_factory=list)


def generate_link(project_dir: Path, *, entry: str | None, params: Mapping[str, str],
                  hub: str = DEFAULT_HUB, secret: str | None = None,
                  strict: bool = False) -> GeneratedLink:
    """The launch link of the project at `project_dir` at HEAD.

    InvalidInput when the folder is not in a git repository with a commit and a remote, when
    the entry point or a parameter does not validate, and (with `strict`) when the tree is
    dirty or HEAD is not on the remote; without `strict` those two are warnings.
    """
    from brain.runs.plan import plan_pipeline
    from brain.runs.snapshot import load_snapshot
    from brain.vcs.state import git_state

    project = load_snapshot(project_dir)
    # Every parameter checked, all at once, as `brain run` would: a value may be meant for a
    # prerequisite (`depends_on`) as well as for the entry point itself.
    plan = plan_pipeline(project, entry, dict(params))[-1]
    root = project.root
    top = _git_top(root)
    state = git_state(root)
    if state.commit is None:
        raise InvalidInput(f"the repository at {top} has no commit yet",
                           hint="commit the project first: git add -A && git commit")
    remote = _remote(top, state.remote)
    warnings: list[str] = []
    if state.dirty:
        warnings.append("the working tree has uncommitted changes: the link runs the last "
                        f"commit {state.commit[:12]}, without them")
    if not _on_remote(top, state.commit):
        warnings.append(f"commit {state.commit[:12]} is not on any remote branch: push it or "
                        "the link will not fetch")
    if strict and warnings:
        raise InvalidInput(f"refusing to make a link (--strict): {warnings[0]}",
                           hint="commit and push, then run brain generate-url again")
    relative = root.resolve().relative_to(top).as_posix()
    link = make_link(remote, state.commit, path="" if relative == "." else relative,
                     entry=plan.entry_name if entry is not None else None,
                     params=dict(params), hub=hub)
    if secret:
        link = link.sign(secret)
    return GeneratedLink(link, link.to_url(), warnings)


def hub_secret(explicit: str | None = None) -> str | None:
    """The signing secret: `explicit`, else BRAIN_HUB_SECRET, else None."""
    from brain import settings

    return explicit or settings.text(SECRET_VARIABLE)


def _git_top(folder: Path) -> Path:
    from brain.vcs.repository import work_tree_of

    top = work_tree_of(folder)
    if top is None:
        raise InvalidInput(f"{folder} is not in a git repository",
                           hint="a link pins a commit: git init, commit, add a remote and "
                           "push")
    return top.resolve()


def _remote(top: Path, remote: str | None) -> str:
    if remote is None:
        raise InvalidInput(f"the repository at {top} has no remote, so nobody else can "
                           "fetch it", hint="git remote add origin URL && git push -u origin "
                           "HEAD")
    if is_git_url(remote):
        return remote
    # A remote that is a folder on this machine: make it a file:// URL others here can use.
    folder = Path(remote)
    if not folder.is_absolute():
        folder = top / folder
    return folder.resolve().as_uri()


def _on_remote(top: Path, commit: str) -> bool:
    """True when some remote-tracking branch contains `commit` (no network: as last fetched)."""
    from brain.vcs.verbs import on_a_remote_branch

    return on_a_remote_branch(top, commit)
