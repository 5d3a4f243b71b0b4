"""The git state of a folder's code, recorded with every run: commit, branch, remote, dirty.

`git_state` runs on every `brain run`, so it asks the git binary directly (two short
processes through the gateway, about 8 ms) rather than through a library whose import and
repository discovery cost about 65 ms in a fresh process (measured on the CI machine kind;
see benchmarks/ and the issue note).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

_GIT_TIMEOUT = 20.0


class GitState(NamedTuple):
    """The code state a run used; all None outside a git repository."""

    commit: str | None = None
    branch: str | None = None
    remote: str | None = None
    dirty: bool | None = None


def git_state(path: Path) -> GitState:
    """The git state of the repository holding `path`: commit, branch, remote, dirty.

    Everything is None outside a repository, or when git is missing or refuses the
    repository (e.g. one owned by another user): provenance never stops a run. `dirty`
    counts untracked files. `commit` is None in a repository without commits; `branch` is
    None on a detached HEAD; `remote` is the URL of the branch's tracking remote, else of
    `origin`, with any password or token removed.
    """
    from brain.statefs import STAGING_PREFIX

    if not _may_be_in_repository(path):
        return GitState()  # git could find no repository: no process to ask it
    # A `.brain` being made (by this run's setup, on another thread) is a staging folder for
    # a moment, its files visible before its .gitignore is whole: never counted as code.
    status = _git(path, "--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z",
                  "--untracked-files=normal", "--",
                  f":(top,exclude,glob)**/{STAGING_PREFIX}*/**")
    if status is None:
        return GitState()
    commit: str | None = None
    branch: str | None = None
    dirty = False
    for item in status.split("\0"):
        if item.startswith("# branch.oid "):
            oid = item.removeprefix("# branch.oid ")
            commit = None if oid == "(initial)" else oid
        elif item.startswith("# branch.head "):
            head = item.removeprefix("# branch.head ")
            branch = None if head == "(detached)" else head
        elif item and not item.startswith("# "):
            dirty = True  # a changed, staged, unmerged or untracked entry (or a rename's path)
    return GitState(commit=commit, branch=branch, remote=_remote_url(path, branch), dirty=dirty)


def _remote_url(path: Path, branch: str | None) -> str | None:
    from brain.vcs.urls import strip_credentials

    listing = _git(path, "config", "-z", "--get-regexp", r"^(remote\..*\.url|branch\..*\.remote)$")
    if not listing:
        return None
    config: dict[str, str] = {}
    for item in listing.split("\0"):
        key, _, value = item.partition("\n")
        config.setdefault(key, value)  # the first of repeated keys, as git would use
    tracking = config.get(f"branch.{branch}.remote") if branch else None
    for name in (tracking, "origin"):
        if name and f"remote.{name}.url" in config:
            return strip_credentials(config[f"remote.{name}.url"])
    return None


def _may_be_in_repository(path: Path) -> bool:
    """False only where git's discovery cannot succeed: no GIT_DIR (or GIT_WORK_TREE) in the
    environment, and neither a `.git` nor a bare repository's HEAD in the folder or above it,
    on its path as given or as resolved (git walks up from the physical working directory)."""
    if any(name in os.environ for name in DISCOVERY_VARIABLES):
        return True
    return any(os.path.lexists(marker) for marker in discovery_markers(path))


DISCOVERY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE")  # set, either points git at a repository


def discovery_markers(path: Path | str) -> list[str]:
    """The paths whose absence means git's discovery from `path` finds no repository: a
    `.git` or a bare repository's `HEAD` in the folder or above it, on its path as given or
    as resolved (git walks up from the physical working directory)."""
    given = str(Path(path).absolute())
    markers = []
    for start in dict.fromkeys((given, os.path.realpath(given))):
        folder = start
        while True:
            markers += [os.path.join(folder, ".git"), os.path.join(folder, "HEAD")]
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return markers


def _git(path: Path, *args: str) -> str | None:
    from brain.vcs.gateway import quietly

    directory = path if path.is_dir() else path.parent
    if not directory.is_dir():
        return None
    # not a repository, no git, or nothing matched (git config exits 1): None
    return quietly(*args, cwd=directory, timeout=_GIT_TIMEOUT, env={"GIT_OPTIONAL_LOCKS": "0"})
