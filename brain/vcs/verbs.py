"""Git verbs on a work tree: clone at a ref, init with a first commit, HEAD, dirty."""

from __future__ import annotations

from pathlib import Path

from brain.errors import BrainError, EnvironmentFailure, InvalidInput
from brain.vcs.repository import work_tree_of as work_tree_of


def _git(args: list[str], *, cwd: Path | None = None, what: str, timeout: float = 120) -> str:
    from brain.vcs.gateway import git

    return git(*args, cwd=cwd, what=what, timeout=timeout).strip()


def head_commit(path: Path) -> str | None:
    """The commit checked out at `path`, or None outside git (or before a first commit)."""
    try:
        return _git(["rev-parse", "--verify", "HEAD^{commit}"], cwd=path, what="git rev-parse",
                    timeout=30) or None
    except BrainError:
        return None


def is_dirty(path: Path) -> bool:
    """True when the work tree at `path` has uncommitted changes."""
    try:
        return bool(_git(["status", "--porcelain", "--", "."], cwd=path, what="git status"))
    except BrainError:
        return False


def init_and_commit(root: Path, message: str, *, author: str,
                    paths: list[str] | None = None) -> str:
    """`git init` plus a first commit of `paths` (default: everything not ignored) in `root`."""
    identity: list[str] = []
    if not _configured("user.name") or not _configured("user.email"):
        name, _, email = author.partition("<")
        identity = ["-c", f"user.name={name.strip() or 'brain'}",
                    "-c", f"user.email={email.rstrip('>').strip() or 'brain@localhost'}"]
    _git(["init", "--quiet"], cwd=root, what="git init")
    if paths is None:
        _git(["add", "--all"], cwd=root, what="git add")
    else:  # only these files: others already in the folder are the user's business
        wanted = _git(["ls-files", "--others", "--exclude-standard", "--", *paths], cwd=root,
                      what="git ls-files").splitlines()
        if wanted:
            _git(["add", "--", *wanted], cwd=root, what="git add")
    _git([*identity, "commit", "--quiet", "--no-verify", "-m", message], cwd=root,
         what="git commit")
    commit = head_commit(root)
    if commit is None:
        raise EnvironmentFailure("git commit made no commit")
    return commit


def clone(url: str, destination: Path, *, ref: str | None) -> str:
    """Clone `url` into `destination` (at `ref` when given); returns the commit checked out."""
    from brain.vcs.urls import check_clone_source, check_ref

    check_clone_source(url)
    if ref is not None:
        check_ref(ref)
    _git(["clone", "--quiet", "--no-checkout", "--", url, str(destination)],
         what=f"git clone {url}", timeout=600)
    target = ref or "HEAD"
    try:
        commit = _git(["rev-parse", "--verify", "--end-of-options", f"{target}^{{commit}}"],
                      cwd=destination, what="git rev-parse")
    except EnvironmentFailure:
        try:  # a remote branch that is not the default one
            commit = _git(["rev-parse", "--verify", "--end-of-options",
                           f"origin/{target}^{{commit}}"], cwd=destination, what="git rev-parse")
        except EnvironmentFailure:
            raise InvalidInput(f"{url}: no branch, tag or commit named {target!r}") from None
    _git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, "--"],
         cwd=destination, what="git checkout")
    return commit


def _configured(key: str) -> bool:
    try:
        return bool(_git(["config", "--get", key], what="git config", timeout=10))
    except BrainError:
        return False
