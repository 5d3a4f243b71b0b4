"""A local git repository and the small questions brain asks it (HEAD, branch, remotes, refs)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from brain.errors import BrainError, EnvironmentFailure, InvalidInput
from brain.vcs.gateway import git, not_a_repository, quietly, require_git
from brain.vcs.urls import check_ref


@dataclass(frozen=True)
class Repository:
    """A work tree (`top`) and its git folder."""

    top: Path
    git_dir: Path
    interactive: bool = False  # let git ask for passwords (commands a person runs)

    def run(self, *args: str, what: str, error: type[BrainError] = EnvironmentFailure,
            hint: str | None = None) -> str:
        """`git ARGS` in this work tree (see brain.vcs.gateway.git)."""
        return git(*args, cwd=self.top, what=what, error=error, hint=hint,
                   interactive=self.interactive)

    def succeeds(self, *args: str) -> bool:
        """True when `git ARGS` exits 0 here."""
        return quietly(*args, cwd=self.top) is not None

    def head(self) -> str | None:
        """The SHA of HEAD, or None before the first commit."""
        found = quietly("rev-parse", "--verify", "--quiet", "HEAD^{commit}", cwd=self.top)
        return (found.strip() or None) if found else None

    def branch(self) -> str | None:
        """The branch checked out (born or not), or None on a detached HEAD."""
        found = quietly("symbolic-ref", "--quiet", "--short", "HEAD", cwd=self.top)
        return (found.strip() or None) if found else None

    def config(self, key: str) -> str | None:
        """The value of config `key`, or None when it is not set."""
        found = quietly("config", "--get", key, cwd=self.top)
        return found.strip() if found else None

    def remotes(self) -> list[str]:
        """The names of the configured remotes."""
        return (quietly("remote", cwd=self.top) or "").split()

    def has_ref(self, ref: str) -> bool:
        """True when the full ref name `ref` exists."""
        return self.succeeds("show-ref", "--verify", "--quiet", "--end-of-options", ref)

    def has_commit(self, sha: str) -> bool:
        """True when commit `sha` is in this repository."""
        return self.succeeds("cat-file", "-e", "--end-of-options", f"{sha}^{{commit}}")

    def commit_of(self, ref: str) -> str:
        """The SHA `ref` names (a ref already checked or built by brain)."""
        return self.run("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}",
                        what=f"reading {ref}").strip()

    def is_dirty(self) -> bool:
        """True when tracked files have staged or unstaged changes (untracked ones do not
        count)."""
        status = self.run("status", "--porcelain", "--untracked-files=no",
                          what="reading the status")
        return bool(status.strip())

    def inside(self, path: Path) -> str:
        """`path` relative to the top (POSIX, "." for the top); InvalidInput outside it."""
        relative = Path(os.path.relpath(path.resolve(), self.top)).as_posix()
        if relative == ".." or relative.startswith("../"):
            raise InvalidInput(f"{path} is outside the git repository at {self.top}")
        return relative


def open_repository(path: Path, *, interactive: bool = False) -> Repository:
    """The git repository `path` is in; InvalidInput outside one."""
    require_git()
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        raise not_a_repository(path)
    found = quietly("rev-parse", "--show-toplevel", "--absolute-git-dir", cwd=folder)
    lines = (found or "").splitlines()
    if len(lines) != 2:
        raise not_a_repository(path)
    return Repository(Path(lines[0]).resolve(), Path(lines[1]), interactive)


def work_tree_of(path: Path) -> Path | None:
    """The top of the git work tree holding `path`, or None."""
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir():
        return None
    top = quietly("rev-parse", "--show-toplevel", cwd=folder, timeout=30)
    return Path(top.strip()) if top and top.strip() else None


def resolve_commit(repo: Repository, ref: str) -> str:
    """The commit SHA `ref` names; refuses option-like or malformed refs."""
    check_ref(ref)
    if repo.head() is None:
        raise InvalidInput("the repository has no commits yet", hint="commit something first")
    found = quietly("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                    cwd=repo.top)
    if not found or not found.strip():
        raise InvalidInput(f"unknown git ref {ref!r}: no branch, tag or commit of "
                           f"{repo.top} has that name",
                           hint="check it with `git branch -a` or `git log --oneline`; in a "
                           "shallow CI clone, fetch more history first")
    return found.strip()


def changed_files(root: Path, since_ref: str) -> list[str]:
    """Files changed under `root` since `since_ref` (as `git diff REF...HEAD`), plus staged,
    unstaged and untracked changes; paths relative to `root`, sorted."""
    repo = open_repository(root)
    since = resolve_commit(repo, since_ref)
    base = repo.run("merge-base", since, "HEAD", what=f"finding where {since_ref!r} and HEAD "
                    "meet", error=InvalidInput, hint="the two share no history").strip()
    committed = repo.run("diff", "--name-only", "-z", "--no-renames", base, "HEAD", "--",
                         what="listing committed changes")
    pending = repo.run("status", "--porcelain=v1", "-z", "--untracked-files=all",
                       "--no-renames", what="listing uncommitted changes")
    files = {name for name in committed.split("\0") if name}
    files |= {entry[3:] for entry in pending.split("\0") if len(entry) > 3}
    prefix = repo.inside(root)
    if prefix != ".":
        files = {name[len(prefix) + 1:] for name in files if name.startswith(prefix + "/")}
    return sorted(files)


def tracked_files(root: Path) -> list[str] | None:
    """The files git tracks under `root` (relative to it), or None outside a repository or
    when git is missing or refuses it."""
    listing = quietly("-c", "core.quotepath=off", "ls-files", "-z", cwd=root, timeout=60)
    if listing is None:
        return None
    return [name for name in listing.split("\0") if name]


@dataclass(frozen=True)
class Commit:
    """One commit of the history."""

    sha: str
    time: float  # unix seconds (committer time)
    author: str
    subject: str


def recent_commits(folder: Path, limit: int) -> list[Commit]:
    """The newest `limit` commits touching `folder`, newest first; [] outside a repository
    or before the first commit."""
    try:
        repo = open_repository(folder)
    except InvalidInput:
        return []  # not versioned
    if repo.head() is None:
        return []
    text = repo.run("log", f"--max-count={limit}", "--format=%H%x1f%ct%x1f%an%x1f%s%x1e",
                    "--", repo.inside(folder), what="reading the history")
    commits = []
    for record in text.split("\x1e"):
        parts = record.strip("\n").split("\x1f")
        if len(parts) == 4:
            sha, stamp, author, subject = parts
            commits.append(Commit(sha, float(stamp), author, subject))
    return commits
