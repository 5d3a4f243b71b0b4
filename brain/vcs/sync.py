"""Git verbs for data scientists: the activity feed, sync, checkout of a run, commit-then-run.

gitpython is imported inside the functions (it costs ~60 ms), and every git call goes through
`_git`, which turns git's failures into BrainErrors: usage problems (not a repository, a bad
ref, a dirty tree) exit 2; git itself failing (a conflict, a rejected push, an unreachable
remote) exits 3. Per-project state folders (`.brain/`: venvs, logs) are never committed.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from brain.errors import BrainError, EnvironmentFailure, InvalidInput

if TYPE_CHECKING:
    from git import Repo

    from brain.runs.record import RunRecord

# Never commit per-project state (venvs, run logs), even where no .gitignore says so.
_STATE_EXCLUDE = ":(exclude,glob)**/.brain/**"
_UNSAFE_REF = re.compile(r"[\s\x00-\x1f\x7f]|\.\.|^-|^$")


class SyncConflict(EnvironmentFailure):
    """`brain sync` met a conflict with the upstream; nothing was changed (exit 3)."""


def open_repo(path: Path) -> Repo:
    """The git repository `path` is in."""
    try:
        import git
    except ImportError as error:  # gitpython refuses to import without a git binary
        raise EnvironmentFailure(f"git is not usable: {error}",
                                 hint="install git (apt-get install git)") from None
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InvalidInput(f"{path} is not inside a git repository",
                           hint="run `git init` (and commit) first") from None


def _git(repo: Repo, *args: str, what: str, error: type[BrainError] = EnvironmentFailure,
         hint: str | None = None) -> str:
    """Run `git ARGS` in `repo`; raise `error` naming `what` with git's own words on failure."""
    import git

    try:
        output: str = repo.git.execute(["git", *args], with_extended_output=False)
    except git.GitCommandError as failure:
        said = _last_lines(str(failure.stderr or failure.stdout or ""))
        raise error(f"{what} failed: {said}" if said else f"{what} failed", hint=hint) from None
    return output


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().strip("'").splitlines() if line.strip()]
    lines = [line[len("stderr: "):] if line.startswith("stderr: ") else line for line in lines]
    return " / ".join(lines[-count:])


def _top(repo: Repo) -> Path:
    return Path(str(repo.working_tree_dir)).resolve()


def _inside(repo: Repo, path: Path) -> str:
    """`path` relative to the repository top (POSIX, "." for the top)."""
    relative = Path(os.path.relpath(path.resolve(), _top(repo))).as_posix()
    if relative == ".." or relative.startswith("../"):
        raise InvalidInput(f"{path} is outside the git repository at {_top(repo)}")
    return relative


def resolve_commit(repo: Repo, ref: str) -> str:
    """The commit SHA `ref` names; refuses option-like or malformed refs."""
    if _UNSAFE_REF.search(ref):
        raise InvalidInput(f"not a usable git ref: {ref!r}",
                           hint="pass a branch, tag or commit, e.g. main, origin/main, HEAD~1")
    if not repo.head.is_valid():
        raise InvalidInput("the repository has no commits yet", hint="commit something first")
    import git

    try:
        found: str = repo.git.execute(["git", "rev-parse", "--verify", "--quiet",
                                       "--end-of-options", f"{ref}^{{commit}}"])
    except git.GitCommandError:
        raise InvalidInput(f"unknown git ref {ref!r}: no branch, tag or commit of "
                           f"{_top(repo)} has that name",
                           hint="check it with `git branch -a` or `git log --oneline`; in a "
                           "shallow CI clone, fetch more history first") from None
    return found.strip()


def changed_files(root: Path, since_ref: str) -> list[str]:
    """Files changed under `root` since `since_ref` (as `git diff REF...HEAD`), plus staged,
    unstaged and untracked changes; paths relative to `root`, sorted."""
    repo = open_repo(root)
    since = resolve_commit(repo, since_ref)
    base = _git(repo, "merge-base", since, "HEAD", what=f"finding where {since_ref!r} and HEAD "
                "meet", error=InvalidInput, hint="the two share no history").strip()
    committed = _git(repo, "diff", "--name-only", "-z", "--no-renames", base, "HEAD", "--",
                     what="listing committed changes")
    pending = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all",
                   "--no-renames", what="listing uncommitted changes")
    files = {name for name in committed.split("\0") if name}
    files |= {entry[3:] for entry in pending.split("\0") if len(entry) > 3}
    prefix = _inside(repo, root)
    if prefix != ".":
        files = {name[len(prefix) + 1:] for name in files if name.startswith(prefix + "/")}
    return sorted(files)


# -- the activity feed ----------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """One line of the feed: a commit touching the project, or a run of it."""

    kind: Literal["commit", "run"]
    time: float  # unix seconds
    id: str
    title: str
    who: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(self.time, UTC).isoformat(timespec="seconds")
        return {"kind": self.kind, "time": self.time, "at": at, "id": self.id,
                "title": self.title, "who": self.who, **self.detail}


def activity(folder: Path, project: str | None, *, limit: int = 20) -> list[Activity]:
    """Commits touching `folder` and runs of `project` (`namespace/name`, None for every run),
    interleaved, newest first, at most `limit`."""
    if limit < 1:
        raise InvalidInput(f"--limit must be at least 1, got {limit}")
    items = _commits(folder, limit) + _runs(project, limit)
    # Newest first; at the same second a run follows the commit it ran (it comes later).
    items.sort(key=lambda item: (item.time, item.kind == "run"), reverse=True)
    return items[:limit]


def _commits(folder: Path, limit: int) -> list[Activity]:
    try:
        repo = open_repo(folder)
    except InvalidInput:
        return []  # not versioned: the feed holds runs only
    if not repo.head.is_valid():
        return []
    text = _git(repo, "log", f"--max-count={limit}", "--format=%H%x1f%ct%x1f%an%x1f%s%x1e",
                "--", _inside(repo, folder), what="reading the history")
    items = []
    for record in text.split("\x1e"):
        parts = record.strip("\n").split("\x1f")
        if len(parts) == 4:
            sha, stamp, author, subject = parts
            items.append(Activity("commit", float(stamp), sha, subject, author,
                                  {"short": sha[:8]}))
    return items


def _runs(project: str | None, limit: int) -> list[Activity]:
    from brain.runs.store import RunStore

    with RunStore() as store:
        records = store.list(project=project, limit=limit)
    items = []
    for run in records:
        commit = run.git.commit[:8] if run.git.commit else "no commit"
        dirty = "+dirty" if run.git.dirty else ""
        items.append(Activity(
            "run", run.started_at, run.id, f"run {run.entry_point}: {run.status}", run.user,
            {"project": f"{run.namespace}/{run.project}", "status": run.status,
             "exit_code": run.exit_code, "commit": run.git.commit, "dirty": run.git.dirty,
             "duration": run.duration, "code": f"{commit}{dirty}"}))
    return items


# -- sync -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    """What `sync` did."""

    branch: str
    committed: str | None = None  # the new commit's SHA, when there was something to commit
    upstream: str | None = None  # e.g. origin/main
    pulled: int = 0  # commits brought in from the upstream
    pushed: bool = False
    notes: tuple[str, ...] = ()


def sync(path: Path, message: str | None = None, *,
         strategy: Literal["rebase", "merge"] = "rebase") -> SyncResult:
    """Commit every change (`add -A`), bring in the upstream's commits (rebase or merge), push.

    Local changes are committed before anything else happens, so nothing can be lost; on a
    conflict the rebase or merge is aborted, which puts the tree back exactly as it was after
    that commit, and SyncConflict says what to do.
    """
    repo = open_repo(path)
    _refuse_unfinished(repo)
    if repo.head.is_detached:
        raise InvalidInput("HEAD is detached (not on a branch), so there is nothing to sync",
                           hint="switch to a branch first: git switch main")
    branch = repo.active_branch.name
    committed = _commit_all(repo, message or f"brain sync {time.strftime('%Y-%m-%d %H:%M')}",
                            ".")
    remote, remote_branch, notes = _upstream_of(repo, branch)
    if remote is None:
        _refuse_unborn(repo)
        return SyncResult(branch, committed, notes=notes)
    _git(repo, "fetch", "--quiet", remote, what=f"fetching from {remote}",
         hint="check the network and your access to the remote, then run `brain sync` again")
    upstream = f"{remote}/{remote_branch}"
    pulled = 0
    if not _has_ref(repo, f"refs/remotes/{upstream}"):  # the branch is new on the remote
        _refuse_unborn(repo)
    elif not repo.head.is_valid():  # a clone of a then-empty repository: take what is there
        _git(repo, "merge", "--ff-only", "--quiet", upstream, what=f"taking {upstream}",
             hint="move away the files git names, then run `brain sync` again")
        _git(repo, "branch", f"--set-upstream-to={upstream}", what="setting the upstream")
        return SyncResult(branch, None, upstream, _count(repo, "HEAD"), False, notes)
    else:
        pulled = _count(repo, f"HEAD..{upstream}")
        if pulled:
            _integrate(repo, upstream, strategy)
    _git(repo, "push", "--quiet", "--set-upstream", remote, f"HEAD:refs/heads/{remote_branch}",
         what=f"pushing to {upstream}",
         hint="someone may have pushed in the meantime: run `brain sync` again")
    return SyncResult(branch, committed, upstream, pulled, True, notes)


def _refuse_unborn(repo: Repo) -> None:
    if not repo.head.is_valid():
        raise InvalidInput("nothing to sync: the repository has no commits and no changes yet",
                           hint="add some files first")


def _count(repo: Repo, revisions: str) -> int:
    return int(_git(repo, "rev-list", "--count", revisions, what="counting commits").strip())


def _has_ref(repo: Repo, ref: str) -> bool:
    import git

    try:
        repo.git.execute(["git", "show-ref", "--verify", "--quiet", ref])
    except git.GitCommandError:
        return False
    return True


def _upstream_of(repo: Repo, branch: str) -> tuple[str | None, str, tuple[str, ...]]:
    tracking = repo.active_branch.tracking_branch()
    if tracking is not None:
        return tracking.remote_name, tracking.remote_head, ()
    names = [remote.name for remote in repo.remotes]
    if not names:
        return None, branch, ("no remote is configured: the changes were committed locally "
                              "only (add one with `git remote add origin URL`)",)
    if "origin" in names:
        return "origin", branch, ()
    if len(names) == 1:
        return names[0], branch, ()
    raise InvalidInput(f"branch {branch!r} has no upstream and there are several remotes "
                       f"({', '.join(names)})",
                       hint=f"choose one: git branch --set-upstream-to=REMOTE/{branch}")


def _integrate(repo: Repo, upstream: str, strategy: str) -> None:
    args = ("rebase", upstream) if strategy == "rebase" else ("merge", "--no-edit", upstream)
    pull_mode = "rebase" if strategy == "rebase" else "no-rebase"
    import git

    try:
        repo.git.execute(["git", *args])
    except git.GitCommandError as failure:
        listed = repo.git.execute(["git", "diff", "--name-only", "-z", "--diff-filter=U"])
        conflicted = [name for name in listed.split("\0") if name]
        # A rebase/merge that stopped before starting has nothing to undo.
        with contextlib.suppress(git.GitCommandError):
            repo.git.execute(["git", args[0], "--abort"])
        if not conflicted:
            raise EnvironmentFailure(
                f"{args[0]} onto {upstream} failed: {_last_lines(str(failure.stderr))}") from None
        shown = ", ".join(conflicted[:5]) + (" and more" if len(conflicted) > 5 else "")
        raise SyncConflict(
            f"your commits and {upstream} both changed {shown}; the {args[0]} was undone and "
            "your work is safe in your local commits",
            hint=f"resolve it by hand: `git pull --{pull_mode}`, "
            "fix the files marked as conflicted, `git add` them, "
            f"`git {args[0]} --continue`, then `brain sync` again") from None


def _refuse_unfinished(repo: Repo) -> None:
    git_dir = Path(repo.git_dir)
    for marker, what in (("rebase-merge", "rebase"), ("rebase-apply", "rebase"),
                         ("MERGE_HEAD", "merge"), ("CHERRY_PICK_HEAD", "cherry-pick")):
        if (git_dir / marker).exists():
            raise InvalidInput(f"a {what} is in progress in {_top(repo)}",
                               hint=f"finish it (`git {what} --continue`) or abort it "
                               f"(`git {what} --abort`) first")


def _commit_all(repo: Repo, message: str, pathspec: str) -> str | None:
    """Stage and commit every change under `pathspec`; the new SHA, or None if none."""
    if not message.strip():
        raise InvalidInput("the commit message is empty", hint="pass -m 'what changed'")
    _git(repo, "add", "--all", "--", pathspec, _STATE_EXCLUDE, what="staging changes")
    staged = _git(repo, "diff", "--cached", "--name-only", "-z", "--", pathspec,
                  what="listing staged changes")
    if not staged.strip("\0"):
        return None
    _git(repo, "commit", "--quiet", "-m", message, "--", pathspec, _STATE_EXCLUDE,
         what="committing", hint="your changes are staged and untouched; "
         "fix what git says (a hook?) and try again")
    return repo.head.commit.hexsha


# -- checkout and commit-before-run ---------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    """What `checkout_run` did."""

    branch: str
    commit: str
    repository: Path
    run_was_dirty: bool | None
    created: bool


def checkout_run(run: RunRecord, fallback: Path) -> CheckoutResult:
    """Put the code back as it was for `run`: a new branch `brain/run-<id>` at its commit.

    Refuses when the working tree has uncommitted changes (they would be mixed in). The
    repository is the one the run's project lives in, else the one `fallback` is in.
    """
    if not run.git.commit:
        raise InvalidInput(f"run {run.id} has no recorded commit: it ran outside a git "
                           "repository, so its code state cannot be restored")
    project_path = Path(run.project_path)
    repo = open_repo(project_path if project_path.is_dir() else fallback)
    _refuse_unfinished(repo)
    sha = run.git.commit
    if not re.fullmatch(r"[0-9a-f]{7,64}", sha) or not _has_commit(repo, sha):
        raise InvalidInput(f"commit {sha[:12]} of run {run.id} is not in {_top(repo)}",
                           hint="fetch it first (`git fetch --all`), or run this in the "
                           "repository the run came from")
    if repo.is_dirty(untracked_files=False):
        raise InvalidInput(f"{_top(repo)} has uncommitted changes; checking out run "
                           f"{run.id} would mix them in",
                           hint="commit them (`brain sync` or `git commit -a`) or stash them "
                           "(`git stash`) first")
    branch = f"brain/run-{run.id}"
    created = not _has_ref(repo, f"refs/heads/{branch}")
    if not created:
        at = repo.commit(branch).hexsha
        if at != repo.commit(sha).hexsha:
            raise InvalidInput(f"branch {branch} already exists at another commit ({at[:8]})",
                               hint=f"delete it (`git branch -D {branch}`) and try again")
        _git(repo, "checkout", "--quiet", branch, what=f"switching to {branch}",
             error=InvalidInput)
    else:
        _git(repo, "checkout", "--quiet", "-b", branch, sha, what=f"creating {branch}",
             error=InvalidInput, hint="move or remove the files git names, then try again")
    return CheckoutResult(branch, repo.head.commit.hexsha, _top(repo), run.git.dirty, created)


def _has_commit(repo: Repo, sha: str) -> bool:
    import git

    try:
        repo.git.execute(["git", "cat-file", "-e", f"{sha}^{{commit}}"])
    except git.GitCommandError:
        return False
    return True


def commit_before_run(project_root: Path, message: str) -> str:
    """Commit every change in the project's folder (its `.brain/` state excepted) so that a
    run's recorded commit is its exact code; the SHA of HEAD afterwards.

    Only the project's folder is committed: other work in a monorepo is left alone.
    """
    repo = open_repo(project_root)
    _refuse_unfinished(repo)
    committed = _commit_all(repo, message, _inside(repo, project_root))
    if committed is not None:
        return committed
    if not repo.head.is_valid():
        raise InvalidInput(f"nothing to commit in {project_root} and the repository has no "
                           "commits yet", hint="add some files to the project first")
    return repo.head.commit.hexsha
