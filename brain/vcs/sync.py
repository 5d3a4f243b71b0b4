"""Git verbs for data scientists: sync, checkout of a run, commit-then-run.

Every git call goes through brain.vcs (the gateway over brain.process), which turns git's
failures into BrainErrors: usage problems (not a repository, a bad ref, a dirty tree) exit 2;
git itself failing (a conflict, a rejected push, an unreachable remote) exits 3. Per-project
state folders (`.brain/`: venvs, logs) are never committed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from brain.errors import EnvironmentFailure, InvalidInput
from brain.vcs.gateway import last_lines
from brain.vcs.repository import Repository, open_repository
from brain.vcs.state import GitState

# Never commit per-project state (venvs, run logs), even where no .gitignore says so.
_STATE_EXCLUDE = ":(exclude,glob)**/.brain/**"


class SyncConflict(EnvironmentFailure):
    """`brain sync` met a conflict with the upstream; nothing was changed (exit 3)."""


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
    repo = open_repository(path, interactive=True)
    _refuse_unfinished(repo)
    branch = repo.branch()
    if branch is None:
        raise InvalidInput("HEAD is detached (not on a branch), so there is nothing to sync",
                           hint="switch to a branch first: git switch main")
    committed = _commit_all(repo, message or f"brain sync {time.strftime('%Y-%m-%d %H:%M')}",
                            ".")
    remote, remote_branch, notes = _upstream_of(repo, branch)
    if remote is None:
        _refuse_unborn(repo)
        return SyncResult(branch, committed, notes=notes)
    repo.run("fetch", "--quiet", "--", remote, what=f"fetching from {remote}",
             hint="check the network and your access to the remote, then run `brain sync` "
             "again")
    upstream = f"{remote}/{remote_branch}"
    pulled = 0
    if not repo.has_ref(f"refs/remotes/{upstream}"):  # the branch is new on the remote
        _refuse_unborn(repo)
    elif repo.head() is None:  # a clone of a then-empty repository: take what is there
        repo.run("merge", "--ff-only", "--quiet", upstream, what=f"taking {upstream}",
                 hint="move away the files git names, then run `brain sync` again")
        repo.run("branch", f"--set-upstream-to={upstream}", what="setting the upstream")
        return SyncResult(branch, None, upstream, _count(repo, "HEAD"), False, notes)
    else:
        pulled = _count(repo, f"HEAD..{upstream}")
        if pulled:
            _integrate(repo, upstream, strategy)
    repo.run("push", "--quiet", "--set-upstream", "--", remote,
             f"HEAD:refs/heads/{remote_branch}", what=f"pushing to {upstream}",
             hint="someone may have pushed in the meantime: run `brain sync` again")
    return SyncResult(branch, committed, upstream, pulled, True, notes)


def _refuse_unborn(repo: Repository) -> None:
    if repo.head() is None:
        raise InvalidInput("nothing to sync: the repository has no commits and no changes yet",
                           hint="add some files first")


def _count(repo: Repository, revisions: str) -> int:
    return int(repo.run("rev-list", "--count", revisions, what="counting commits").strip())


def _upstream_of(repo: Repository, branch: str) -> tuple[str | None, str, tuple[str, ...]]:
    remote, merge = repo.config(f"branch.{branch}.remote"), repo.config(f"branch.{branch}.merge")
    if remote and merge and remote != "." and not remote.startswith("-"):
        return remote, merge.removeprefix("refs/heads/"), ()
    names = repo.remotes()
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


def _integrate(repo: Repository, upstream: str, strategy: str) -> None:
    args = ("rebase", upstream) if strategy == "rebase" else ("merge", "--no-edit", upstream)
    pull_mode = "rebase" if strategy == "rebase" else "no-rebase"
    from brain.vcs.gateway import attempt

    result = attempt(*args, cwd=repo.top, what=args[0])
    if not result.ok:
        listed = repo.run("diff", "--name-only", "-z", "--diff-filter=U",
                          what="listing conflicted files")
        conflicted = [name for name in listed.split("\0") if name]
        # A rebase/merge that stopped before starting has nothing to undo.
        attempt(args[0], "--abort", cwd=repo.top, what=f"{args[0]} --abort")
        if not conflicted:
            raise EnvironmentFailure(
                f"{args[0]} onto {upstream} failed: {last_lines(result.stderr)}")
        shown = ", ".join(conflicted[:5]) + (" and more" if len(conflicted) > 5 else "")
        raise SyncConflict(
            f"your commits and {upstream} both changed {shown}; the {args[0]} was undone and "
            "your work is safe in your local commits",
            hint=f"resolve it by hand: `git pull --{pull_mode}`, "
            "fix the files marked as conflicted, `git add` them, "
            f"`git {args[0]} --continue`, then `brain sync` again")


def _refuse_unfinished(repo: Repository) -> None:
    git_dir = repo.git_dir
    for marker, what in (("rebase-merge", "rebase"), ("rebase-apply", "rebase"),
                         ("MERGE_HEAD", "merge"), ("CHERRY_PICK_HEAD", "cherry-pick")):
        if (git_dir / marker).exists():
            raise InvalidInput(f"a {what} is in progress in {repo.top}",
                               hint=f"finish it (`git {what} --continue`) or abort it "
                               f"(`git {what} --abort`) first")


def _commit_all(repo: Repository, message: str, pathspec: str) -> str | None:
    """Stage and commit every change under `pathspec`; the new SHA, or None if none.

    Asks git who commits before staging anything; when the commit fails (a hook, a signing
    key), the index is put back as it was and git's whole message is shown.
    """
    from brain.vcs.gateway import attempt
    from brain.vcs.verbs import require_identity

    if not message.strip():
        raise InvalidInput("the commit message is empty", hint="pass -m 'what changed'")
    require_identity(repo.top, doing="brain")
    before = repo.run("write-tree", what="reading the index").strip()
    repo.run("add", "--all", "--", pathspec, _STATE_EXCLUDE, what="staging changes")
    staged = repo.run("diff", "--cached", "--name-only", "-z", "--", pathspec,
                      what="listing staged changes")
    if not staged.strip("\0"):
        return None
    result = attempt("commit", "--quiet", "-m", message, "--", pathspec, _STATE_EXCLUDE,
                     cwd=repo.top, what="git commit", interactive=repo.interactive)
    if not result.ok:
        repo.run("read-tree", before, what="unstaging")  # leave the index as it was
        said = (result.stderr or result.stdout).strip()
        raise EnvironmentFailure(f"git commit failed, nothing was committed and your changes "
                                 f"are as they were:\n{said}" if said else
                                 "git commit failed; nothing was committed")
    return repo.commit_of("HEAD")


# -- checkout and commit-before-run ---------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    """What `checkout_run` did."""

    branch: str
    commit: str
    repository: Path
    run_was_dirty: bool | None
    created: bool


class RecordedRun(Protocol):
    """What checkout needs of a run record (brain.runs.record.RunRecord has it)."""

    @property
    def id(self) -> str: ...
    @property
    def git(self) -> GitState: ...
    @property
    def project_path(self) -> str: ...


def checkout_run(run: RecordedRun, fallback: Path, *, elsewhere: bool = False
                 ) -> CheckoutResult:
    """Put the code back as it was for `run`: a new branch `brain/run-<id>` at its commit.

    Refuses when the working tree has uncommitted changes (they would be mixed in). The
    repository is the one the run's project lives in, else the one `fallback` is in; one
    other than `fallback`'s is switched only when `elsewhere` says so.
    """
    from brain.vcs.repository import work_tree_of

    if not run.git.commit:
        raise InvalidInput(f"run {run.id} has no recorded commit: it ran outside a git "
                           "repository, so its code state cannot be restored")
    project_path = Path(run.project_path)
    repo = open_repository(project_path if project_path.is_dir() else fallback)
    here = work_tree_of(fallback)
    if not elsewhere and (here is None or here.resolve() != repo.top):
        shown = f"the one here ({here})" if here is not None else "here (no repository)"
        raise InvalidInput(f"run {run.id} ran in the repository {repo.top}, not {shown}; "
                           "checking it out would switch that repository to a new branch",
                           hint=f"pass --project to switch {repo.top}, or cd there first")
    _refuse_unfinished(repo)
    sha = run.git.commit
    if not re.fullmatch(r"[0-9a-f]{7,64}", sha) or not repo.has_commit(sha):
        raise InvalidInput(f"commit {sha[:12]} of run {run.id} is not in {repo.top}",
                           hint="fetch it first (`git fetch --all`), or run this in the "
                           "repository the run came from")
    if repo.is_dirty():
        raise InvalidInput(f"{repo.top} has uncommitted changes; checking out run "
                           f"{run.id} would mix them in",
                           hint="commit them (`brain sync` or `git commit -a`) or stash them "
                           "(`git stash`) first")
    branch = f"brain/run-{run.id}"
    created = not repo.has_ref(f"refs/heads/{branch}")
    if not created:
        at = repo.commit_of(f"refs/heads/{branch}")
        if at != repo.commit_of(sha):
            raise InvalidInput(f"branch {branch} already exists at another commit ({at[:8]})",
                               hint=f"delete it (`git branch -D {branch}`) and try again")
        repo.run("checkout", "--quiet", branch, "--", what=f"switching to {branch}",
                 error=InvalidInput)
    else:
        repo.run("checkout", "--quiet", "-b", branch, sha, "--", what=f"creating {branch}",
                 error=InvalidInput, hint="move or remove the files git names, then try again")
    return CheckoutResult(branch, repo.commit_of("HEAD"), repo.top, run.git.dirty, created)


def commit_before_run(project_root: Path, message: str) -> str:
    """Commit every change in the project's folder (its `.brain/` state excepted) so that a
    run's recorded commit is its exact code; the SHA of HEAD afterwards.

    Only the project's folder is committed: other work in a monorepo is left alone.
    """
    repo = open_repository(project_root)
    _refuse_unfinished(repo)
    committed = _commit_all(repo, message, repo.inside(project_root))
    if committed is not None:
        return committed
    if repo.head() is None:
        raise InvalidInput(f"nothing to commit in {project_root} and the repository has no "
                           "commits yet", hint="add some files to the project first")
    return repo.commit_of("HEAD")
