"""A post-receive hook for a plain bare git repository: every pushed branch is checked out in
a temporary folder and `brain ci run --since OLD` runs there, its result recorded.

What arrives on the hook's stdin comes from whoever pushed: every line is parsed strictly
(two full SHAs and a branch ref, checked by brain.vcs.urls), and nothing of it reaches a
shell. The hook file itself is a two-line shell script that execs brain with fixed, quoted
arguments written at install time.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_NULL = re.compile(r"0{40}(0{24})?")
MAX_LINES = 1000  # refs in one push; more is not a push we serve
MAX_LINE = 4096
# Set by git for the hook: they would point the checkout's git at the server's repository.
_GIT_HOOK_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                       "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", "GIT_PREFIX",
                       "GIT_PUSH_OPTION_COUNT")


@dataclass(frozen=True)
class Update:
    """One pushed branch: `old` is None for a new branch."""

    old: str | None
    new: str
    ref: str

    @property
    def branch(self) -> str:
        """The branch name (the ref without refs/heads/)."""
        return self.ref.removeprefix("refs/heads/")


@dataclass(frozen=True)
class HookLine:
    """One line the hook says to the pusher; `failed` marks a failed ci run."""

    text: str
    failed: bool = False


def hook_script(bare: Path, hub: str | None) -> str:
    """The post-receive script: exec brain with arguments fixed at install time."""
    argv = [sys.executable, "-m", "brain", "ci", "hook", "receive", "--git-dir", str(bare)]
    if hub is not None:
        argv += ["--hub", hub]
    return ("#!/bin/sh\n# Installed by `brain ci hook install`: runs `brain ci run` for every "
            "pushed branch.\nexec " + " ".join(shlex.quote(arg) for arg in argv) + "\n")


def install_hook(bare: Path, *, hub: str | None = None, force: bool = False) -> Path:
    """Write `bare`/hooks/post-receive atomically (executable); an existing hook is kept
    unless `force`."""
    from brain.statefs import safe_dir, write_atomic
    from brain.vcs.urls import check_url
    from brain.vcs.verbs import is_bare

    bare = bare.resolve()
    if not is_bare(bare):
        raise InvalidInput(f"{bare} is not a bare git repository",
                           hint="create one with `git init --bare`")
    if hub is not None:
        check_url(hub, schemes=("http", "https"))
    hook = safe_dir(bare, "hooks") / "post-receive"
    if hook.is_symlink() or (hook.exists() and not force):
        raise InvalidInput(f"{hook} already exists",
                           hint="pass --force to replace it" if not hook.is_symlink()
                           else "it is a symbolic link: remove it first")
    write_atomic(hook, hook_script(bare, hub), mode=0o755)
    return hook


def parse_updates(lines: Iterable[str]) -> tuple[list[Update], list[str]]:
    """Branch updates from post-receive input, and notes on the lines left out."""
    from brain.vcs.urls import check_ref

    updates, notes = [], []
    for number, line in enumerate(lines, 1):
        if number > MAX_LINES:
            notes.append(f"more than {MAX_LINES} refs pushed: the rest are left out")
            break
        fields = line[:MAX_LINE + 1].split()
        if len(line) > MAX_LINE or len(fields) != 3:
            notes.append(f"line {number}: not `old new ref`, left out")
            continue
        old, new, ref = fields
        if not (_SHA.fullmatch(old) and _SHA.fullmatch(new)):
            notes.append(f"line {number}: not two commit ids, left out")
            continue
        try:
            check_ref(ref)
        except InvalidInput:
            notes.append(f"line {number}: an invalid ref name, left out")
            continue
        if not ref.startswith("refs/heads/") or ref == "refs/heads/":
            notes.append(f"{ref}: not a branch, nothing to run")
        elif _NULL.fullmatch(new):
            notes.append(f"{ref}: deleted, nothing to run")
        else:
            updates.append(Update(None if _NULL.fullmatch(old) else old, new, ref))
    return updates, notes


def receive(git_dir: Path, stdin: Iterable[str], *, hub: str | None = None
            ) -> Iterator[HookLine]:
    """Run CI for every branch update on `stdin`; one line per thing worth telling."""
    for name in _GIT_HOOK_VARIABLES:
        os.environ.pop(name, None)  # this process only serves the hook
    git_dir = git_dir.resolve()
    updates, notes = parse_updates(stdin)
    for note in notes:
        yield HookLine(f"brain ci: {note}")
    for update in updates:
        yield from _run_update(git_dir, update, hub)


def _run_update(git_dir: Path, update: Update, hub: str | None) -> Iterator[HookLine]:
    import shutil
    import tempfile

    from brain.ci.status import record_data
    from brain.errors import BrainError
    from brain.process import run_captured
    from brain.vcs.verbs import check_out_shared

    yield HookLine(f"brain ci: {update.branch} at {update.new[:12]}")
    scratch = Path(tempfile.mkdtemp(prefix="brain-ci-"))
    try:
        work = scratch / "work"
        try:
            check_out_shared(git_dir, work, update.new, str(git_dir))
        except BrainError as error:
            yield HookLine(f"brain ci: {error.message}", failed=True)
            return
        argv = [sys.executable, "-m", "brain", "ci", "run", "--json",
                "--branch", update.branch, "--junit", str(scratch / "junit.xml")]
        # An empty --since (a new branch) is explicit: the server's BRAIN_CI_SINCE never counts.
        argv += ["--since", update.old or ""]
        done = run_captured(argv, cwd=work, what="brain ci run")
        try:
            data = json.loads(done.stdout)
        except ValueError:
            tail = "\n".join((done.stderr or "").strip().splitlines()[-10:])
            yield HookLine(f"brain ci: the run did not finish (exit {done.returncode}):\n"
                           f"{tail}", failed=True)
            return
        kept = _keep_reports(work, data)
        if kept is not None:
            data["artifacts"] = str(kept)
        record_data(data, ref=update.ref, repository=str(git_dir), hub=hub)
        for result in data.get("results", []):
            note = f" ({result['note']})" if result.get("note") else ""
            yield HookLine(f"  {result['status']:>7}  {result['project']}  {result['step']}"
                           f"  {result['seconds']:.1f}s{note}")
        failed = done.returncode != 0
        yield HookLine(f"brain ci: {update.branch} {'failed' if failed else 'passed'}",
                       failed=failed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _keep_reports(work: Path, data: dict[str, Any]) -> Path | None:
    """Copy the run folders and reports of the projects whose report steps ran out of the
    temporary checkout (it is removed) to BRAIN_HOME/ci/artifacts/<commit>/<project path>."""
    import shutil

    from brain.ci.status import status_folder
    from brain.statefs import safe_dir

    commit, results = data.get("commit"), data.get("results")
    if not isinstance(commit, str) or not isinstance(results, list):
        return None
    reported = {r.get("project") for r in results if isinstance(r, dict)
                and r.get("kind") == "report" and r.get("status") == "passed"}
    paths = {p["path"] for p in data.get("projects", []) if isinstance(p, dict)
             and p.get("key") in reported and isinstance(p.get("path"), str)}
    if not paths:
        return None
    target = safe_dir(status_folder().parent, "artifacts", commit)
    for path in sorted(paths):
        for part in ("runs", "reports"):
            source = work / path / ".brain" / part
            if source.is_dir() and not source.is_symlink():
                # symlinks=True: a link made by a report is copied as a link, never followed.
                shutil.copytree(source, target / path / part, symlinks=True,
                                dirs_exist_ok=True)
    return target
