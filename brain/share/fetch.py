"""Fetching a repository at one commit into the cache, reusing what is already there.

Layout under `paths.cache_dir()/"repos"`: one folder per remote URL (named by its hash)
holding a bare mirror `git/` and one checkout per commit `trees/<sha>/`, each a small clone
sharing the mirror's objects. A checkout is built in a temporary folder and renamed into
place, so a killed fetch never leaves a tree that looks complete. A second launch of the same
commit touches no network and reuses the checkout (and the environment built inside it).

git runs through the gateway brain.vcs.gateway with `--` before every URL and path, the URL
and SHA are validated by brain.share.url first, and only plain transports are allowed
(GIT_ALLOW_PROTOCOL, set by the gateway), so nothing in a link can reach git as an option or a
remote helper.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from brain.errors import EnvironmentFailure, InvalidInput

GIT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Checkout:
    """A repository checked out at one commit."""

    root: Path
    commit: str
    fetched: bool  # False: served from the cache without touching the remote


def repos_dir() -> Path:
    """Where fetched repositories live: `paths.cache_dir()/"repos"`."""
    from brain.paths import cache_dir

    return cache_dir() / "repos"


def fetch_commit(repo: str, commit: str, *,
                 progress: Callable[[str], None] | None = None) -> Checkout:
    """The checkout of `repo` at `commit` (both already validated by brain.share.url)."""
    from brain.envs.locking import ProjectLock
    from brain.share.url import check_commit, check_repo

    repo, commit = check_repo(repo), check_commit(commit)
    report = progress or (lambda _text: None)
    home = repos_dir() / hashlib.sha256(repo.encode()).hexdigest()[:20]
    tree = home / "trees" / commit
    if (tree / ".git").exists():
        return Checkout(tree, commit, fetched=False)
    home.mkdir(parents=True, exist_ok=True)
    # One fetch per remote at a time: two launches of one commit must not both build it.
    with ProjectLock(home / "lock", command="brain launch (fetch)", on_wait=report):
        if (tree / ".git").exists():
            return Checkout(tree, commit, fetched=False)
        mirror = home / "git"
        fetched = _ensure_commit(mirror, repo, commit, report)
        report(f"checking out {commit[:12]}")
        _check_out(mirror, repo, commit, tree)
    return Checkout(tree, commit, fetched=fetched)


def _ensure_commit(mirror: Path, repo: str, commit: str, report: Callable[[str], None]) -> bool:
    if not (mirror / "HEAD").exists():
        temporary = mirror.with_name(f".git-{secrets.token_hex(4)}")
        _git("init", "--bare", "--quiet", "--", str(temporary), what="creating the mirror")
        os.replace(temporary, mirror)
    if _has_commit(mirror, commit):
        return False
    report(f"fetching {repo}")
    git_dir = f"--git-dir={mirror}"
    try:
        # Servers (protocol v2, file://) hand out any reachable commit by its SHA.
        _git(git_dir, "fetch", "--quiet", "--no-tags", "--", repo, commit,
             what=f"fetching {commit[:12]} from {repo}")
    except EnvironmentFailure:
        # An older server that only serves refs: fetch them all, then look again.
        _git(git_dir, "fetch", "--quiet", "--no-tags", "--", repo,
             "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*",
             what=f"fetching {repo}")
    if not _has_commit(mirror, commit):
        raise InvalidInput(f"commit {commit} is not in {repo}",
                           hint="was it pushed? `git push` it, or make a new link")
    # A ref keeps the commit's objects safe from `git gc` in the mirror.
    _git(git_dir, "update-ref", "--end-of-options", f"refs/brain/{commit}", commit,
         what="pinning the commit")
    return True


def _check_out(mirror: Path, repo: str, commit: str, tree: Path) -> None:
    tree.parent.mkdir(parents=True, exist_ok=True)
    temporary = tree.with_name(f".{commit[:12]}-{secrets.token_hex(4)}")
    try:
        _git("clone", "--quiet", "--shared", "--no-checkout", "--", str(mirror), str(temporary),
             what="preparing the checkout")
        work = f"--work-tree={temporary}"
        git_dir = f"--git-dir={temporary / '.git'}"
        _git(git_dir, work, "-c", "advice.detachedHead=false", "checkout", "--quiet",
             "--detach", commit, "--", what=f"checking out {commit[:12]}")
        # Provenance: a run's record names the real remote, not the cache's mirror.
        _git(git_dir, "remote", "set-url", "origin", "--", repo, what="naming the remote")
        os.replace(temporary, tree)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _has_commit(mirror: Path, commit: str) -> bool:
    from brain.vcs.gateway import quietly

    return quietly(f"--git-dir={mirror}", "cat-file", "-e", "--end-of-options",
                   f"{commit}^{{commit}}", timeout=GIT_TIMEOUT) is not None


def _git(*args: str, what: str) -> None:
    from brain.vcs.gateway import git

    git(*args, what=what, timeout=GIT_TIMEOUT)
