"""Fetching a repository at one commit into the cache, reusing what is already there.

Layout under `paths.cache_dir()/"repos"`: one folder per remote URL (named by its hash)
holding a bare mirror `git/` and one checkout per commit `trees/<sha>/`, each a small clone
sharing the mirror's objects. A checkout is built in a temporary folder and renamed into
place, so a killed fetch never leaves a tree that looks complete. A second launch of the same
commit touches no network and reuses the checkout (and the environment built inside it).
A repository's own `.brain/` (at any depth) is never checked out: brain's state is brain's,
and a committed one could hold symlinks to files outside (sparse checkout leaves it out, so
the tree still reads as clean). The cache folders are made with brain.statefs.

git runs through brain.vcs (`--` before every URL and path, `--end-of-options` before every
SHA, only plain transports allowed), and the URL and SHA are validated by brain.share.url
first, so nothing in a link can reach git as an option or a remote helper.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


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
    from brain.paths import cache_dir
    from brain.statefs import safe_dir

    home = safe_dir(cache_dir(), "repos", hashlib.sha256(repo.encode()).hexdigest()[:20])
    tree = home / "trees" / commit
    if _is_checkout(tree):
        return Checkout(tree, commit, fetched=False)
    # One fetch per remote at a time: two launches of one commit must not both build it.
    with ProjectLock(home / "lock", command="brain launch (fetch)", on_wait=report):
        if _is_checkout(tree):
            return Checkout(tree, commit, fetched=False)
        mirror = home / "git"
        fetched = _ensure_commit(mirror, repo, commit, report)
        report(f"checking out {commit[:12]}")
        _check_out(mirror, repo, commit, tree)
    return Checkout(tree, commit, fetched=fetched)


def _ensure_commit(mirror: Path, repo: str, commit: str, report: Callable[[str], None]) -> bool:
    from brain.vcs.verbs import fetch_commit, has_commit, init_bare

    if not (mirror / "HEAD").exists():
        temporary = mirror.with_name(f".git-{secrets.token_hex(4)}")
        init_bare(temporary)
        os.replace(temporary, mirror)
    if has_commit(mirror, commit):
        return False
    report(f"fetching {repo}")
    fetch_commit(mirror, repo, commit)
    return True


def _is_checkout(tree: Path) -> bool:
    import stat

    try:  # a real folder holding a real .git folder: nothing in the cache is followed
        return all(stat.S_ISDIR(os.lstat(path).st_mode) for path in (tree, tree / ".git"))
    except FileNotFoundError:
        return False


def _check_out(mirror: Path, repo: str, commit: str, tree: Path) -> None:
    from brain.statefs import safe_dir
    from brain.vcs.verbs import check_out_shared

    safe_dir(tree.parent.parent, tree.parent.name)
    temporary = tree.with_name(f".{commit[:12]}-{secrets.token_hex(4)}")
    try:
        # Everything but `.brain` at any depth: a repository's own state is never used.
        check_out_shared(mirror, temporary, commit, repo, leave_out=(".brain",))
        os.replace(temporary, tree)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
