"""Git verbs on a work tree: clone at a ref, init with a first commit, HEAD, dirty."""

from __future__ import annotations

from pathlib import Path

from brain.errors import BrainError, EnvironmentFailure, InvalidInput
from brain.vcs.gateway import GIT_TIMEOUT, git, quietly
from brain.vcs.repository import work_tree_of as work_tree_of
from brain.vcs.urls import check_clone_source, check_ref


def _git(args: list[str], *, cwd: Path | None = None, what: str, timeout: float = 120) -> str:
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


IDENTITY_HINT = ('tell git who you are: git config --global user.name "Your Name" && '
                 "git config --global user.email you@example.com")


def commit_identity(cwd: Path | None = None) -> str | None:
    """`Name <email>` git commits as in `cwd` (config or GIT_AUTHOR_*/GIT_COMMITTER_*), or
    None when git would have to guess or give up: brain never commits under a made-up name."""
    shown = None
    for variable in ("GIT_COMMITTER_IDENT", "GIT_AUTHOR_IDENT"):
        found = quietly("-c", "user.useConfigOnly=true", "var", variable, cwd=cwd, timeout=30)
        if found is None:
            return None
        shown = found.strip().rsplit(" ", 2)[0]  # drop git's timestamp and zone
    return shown


def require_identity(cwd: Path | None, *, doing: str) -> None:
    """EnvironmentFailure, saying how to set it, unless git knows who commits in `cwd`."""
    if commit_identity(cwd) is None:
        raise EnvironmentFailure(f"git does not know who you are (user.name and user.email "
                                 f"are not set), so {doing} cannot commit", hint=IDENTITY_HINT)


def init_and_commit(root: Path, message: str, *, paths: list[str] | None = None) -> str:
    """`git init` plus a first commit of `paths` (default: everything not ignored) in `root`,
    as the user git knows (EnvironmentFailure, before anything happens, when it knows none)."""
    require_identity(root, doing="the new project's first commit")
    _git(["init", "--quiet"], cwd=root, what="git init")
    if paths is None:
        _git(["add", "--all"], cwd=root, what="git add")
    else:  # only these files: others already in the folder are the user's business
        wanted = _git(["ls-files", "--others", "--exclude-standard", "--", *paths], cwd=root,
                      what="git ls-files").splitlines()
        if wanted:
            _git(["add", "--", *wanted], cwd=root, what="git add")
    _git(["commit", "--quiet", "--no-verify", "-m", message], cwd=root,
         what="git commit")
    commit = head_commit(root)
    if commit is None:
        raise EnvironmentFailure("git commit made no commit")
    return commit


def clone(url: str, destination: Path, *, ref: str | None) -> str:
    """Clone `url` into `destination` (at `ref` when given); returns the commit checked out."""
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
    return bool(user_setting(key))


def user_setting(key: str) -> str:
    """git's value of config `key` (e.g. user.name) as seen from here; "" when unset."""
    return (quietly("config", "--get", key, timeout=10) or "").strip()


def on_a_remote_branch(top: Path, commit: str) -> bool:
    """True when some remote-tracking branch contains `commit` (no network: as last fetched)."""
    listed = quietly("branch", "-r", "--contains", check_ref(commit), cwd=top)
    return bool(listed and listed.strip())


# -- a cache of fetched commits (brain launch): a bare mirror, one shared clone per commit ----


def init_bare(path: Path) -> None:
    """A new bare repository at `path`."""
    git("init", "--bare", "--quiet", "--", str(path), what="creating the mirror",
        timeout=GIT_TIMEOUT)


def has_commit(git_dir: Path, commit: str) -> bool:
    """True when the repository at `git_dir` holds `commit`."""
    return quietly(f"--git-dir={git_dir}", "cat-file", "-e", "--end-of-options",
                   f"{commit}^{{commit}}", timeout=GIT_TIMEOUT) is not None


def fetch_commit(git_dir: Path, url: str, commit: str) -> None:
    """Fetch `commit` (a full SHA) from `url` into `git_dir` and pin it there with a ref.

    InvalidInput when the remote does not have it.
    """
    url, commit = check_clone_source(url), check_ref(commit)
    where = f"--git-dir={git_dir}"
    try:
        # Servers (protocol v2, file://) hand out any reachable commit by its SHA.
        git(where, "fetch", "--quiet", "--no-tags", "--", url, commit,
            what=f"fetching {commit[:12]} from {url}", timeout=GIT_TIMEOUT)
    except EnvironmentFailure:
        # An older server that only serves refs: fetch them all, then look again.
        git(where, "fetch", "--quiet", "--no-tags", "--", url,
            "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*",
            what=f"fetching {url}", timeout=GIT_TIMEOUT)
    if not has_commit(git_dir, commit):
        raise InvalidInput(f"commit {commit} is not in {url}",
                           hint="was it pushed? `git push` it, or make a new link")
    # A ref keeps the commit's objects safe from `git gc` in the mirror.
    git(where, "update-ref", "--end-of-options", f"refs/brain/{commit}", commit,
        what="pinning the commit", timeout=GIT_TIMEOUT)


def check_out_shared(mirror: Path, destination: Path, commit: str, origin: str,
                     *, leave_out: tuple[str, ...] = ()) -> None:
    """A clone of `mirror` at `destination` sharing its objects, at `commit` (detached), whose
    `origin` names the real remote (a run's provenance), not the mirror. Paths matching a
    `leave_out` pattern (gitignore syntax; no slash matches at any depth) are not checked out."""
    commit, origin = check_ref(commit), check_clone_source(origin)
    git("clone", "--quiet", "--shared", "--no-checkout", "--", str(mirror), str(destination),
        what="preparing the checkout", timeout=GIT_TIMEOUT)
    where = (f"--git-dir={destination / '.git'}", f"--work-tree={destination}")
    if leave_out:
        from brain.statefs import safe_dir, write_atomic

        patterns = "/*\n" + "".join(f"!{pattern}\n" for pattern in leave_out)
        write_atomic(safe_dir(destination / ".git", "info") / "sparse-checkout", patterns)
        git(where[0], "config", "core.sparseCheckout", "true", what="preparing the checkout",
            timeout=GIT_TIMEOUT)
    git(*where, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit,
        "--", what=f"checking out {commit[:12]}", timeout=GIT_TIMEOUT)
    git(*where, "remote", "set-url", "origin", "--", origin, what="naming the remote",
        timeout=GIT_TIMEOUT)


def is_bare(path: Path) -> bool:
    """True when `path` is itself a bare repository (a git server's copy)."""
    found = quietly(f"--git-dir={path}", "rev-parse", "--is-bare-repository",
                    timeout=GIT_TIMEOUT)
    return found is not None and found.strip() == "true"


def commit_summary(path: Path, commit: str) -> tuple[str, str, float] | None:
    """(subject, author name, commit time) of `commit` in the repository at `path`, or None
    when git cannot say."""
    shown = quietly("log", "-1", "--format=%s%x00%an%x00%ct", "--end-of-options",
                    check_ref(commit), cwd=path, timeout=30)
    parts = (shown or "").rstrip("\n").split("\x00")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], parts[1], float(parts[2])


def clean_copy(repository: Path, destination: Path, commit: str) -> None:
    """A clean working copy of the local `repository` at `destination`, checked out at
    `commit` (detached), sharing its objects: nothing of the repository's own work tree
    (changes, untracked or ignored files) comes along, and nothing in it is touched."""
    commit = check_ref(commit)
    git("clone", "--quiet", "--shared", "--no-checkout", "--no-hardlinks", "--",
        str(repository), str(destination), what="preparing a clean working copy",
        timeout=GIT_TIMEOUT)
    git(f"--git-dir={destination / '.git'}", f"--work-tree={destination}",
        "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, "--",
        what=f"checking out {commit[:12]}", timeout=GIT_TIMEOUT)
