"""The few git verbs scaffolding needs, through the subprocess gateway."""

from __future__ import annotations

import os
from pathlib import Path

from brain.errors import BrainError, EnvironmentFailure, InvalidInput
from brain.process import run_checked, scrubbed_environment

# Never let a URL pick a transport that runs commands (ext::) or reads odd places.
_SAFE = ["-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never"]


def _git(args: list[str], *, cwd: Path | None = None, what: str, timeout: float = 120) -> str:
    # never wait on a password prompt: brain may run without a terminal
    extra = {"GIT_TERMINAL_PROMPT": "0"}
    if "GIT_SSH_COMMAND" not in os.environ:
        extra["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    env = scrubbed_environment(extra)
    return run_checked(["git", *_SAFE, *args], cwd=cwd, env=env, what=what,
                       timeout=timeout).stdout.strip()


def work_tree_of(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None."""
    try:
        top = _git(["rev-parse", "--show-toplevel"], cwd=path, what="git rev-parse", timeout=30)
    except BrainError:
        return None
    return Path(top) if top else None


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
    if url.startswith("-"):
        raise InvalidInput(f"invalid git URL {url!r}")
    if ref is not None and (not ref.strip() or ref.startswith("-")):
        raise InvalidInput(f"invalid git ref {ref!r}", hint="a branch, tag or commit")
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
    _git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit],
         cwd=destination, what="git checkout")
    return commit


def _configured(key: str) -> bool:
    try:
        return bool(_git(["config", "--get", key], what="git config", timeout=10))
    except BrainError:
        return False
