"""Where a run came from: the git state of its code, the host, the user, the owning process.

`git_state` runs on every `brain run`, so it asks the git binary directly (two short
processes through brain.process, about 8 ms) rather than through gitpython, whose import and
repository discovery cost about 65 ms in a fresh process (measured on the CI machine kind;
see benchmarks/ and the issue note). Both end up calling the same git binary.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import BrainError
from brain.runs.record import GitState

if TYPE_CHECKING:
    from brain.envs.base import SourceRevision

_GIT_TIMEOUT = 20.0
# A pid whose process started this long after the run did is a reused pid, not the owner
# (/proc start times have clock-tick precision against a boot time in whole seconds).
_START_SLACK_SECONDS = 2.0
_CREDENTIALS = re.compile(r"^(?P<scheme>(?:https?|ftps?)://)[^/@]*@", re.IGNORECASE)


def git_state(path: Path) -> GitState:
    """The git state of the repository holding `path`: commit, branch, remote, dirty.

    Everything is None outside a repository, or when git is missing or refuses the
    repository (e.g. one owned by another user): provenance never stops a run. `dirty`
    counts untracked files. `commit` is None in a repository without commits; `branch` is
    None on a detached HEAD; `remote` is the URL of the branch's tracking remote, else of
    `origin`, with any password or token removed.
    """
    status = _git(path, "--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z",
                  "--untracked-files=normal")
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


def source_revision(path: Path) -> SourceRevision:
    """The commit and dirty flag of the repository holding `path`, for a backend's labels."""
    from brain.envs.base import SourceRevision

    state = git_state(path)
    return SourceRevision(state.commit, state.dirty)


def _remote_url(path: Path, branch: str | None) -> str | None:
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


def strip_credentials(url: str) -> str:
    """`url` without the user:token part of an http(s) URL (never record secrets)."""
    return _CREDENTIALS.sub(r"\g<scheme>", url)


def _git(path: Path, *args: str) -> str | None:
    from brain.process import run_checked, scrubbed_environment

    directory = path if path.is_dir() else path.parent
    if not directory.is_dir():
        return None
    environment = scrubbed_environment({"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"})
    try:
        completed = run_checked(["git", *args], cwd=directory, env=environment,
                                what="git", timeout=_GIT_TIMEOUT)
    except BrainError:
        return None  # not a repository, no git, or nothing matched (git config exits 1)
    return completed.stdout


def host_name() -> str:
    """This machine's host name."""
    # os.uname is what socket.gethostname reads on POSIX, without importing socket
    # (a few ms on every `brain runs list`, which reconciles by host).
    return os.uname().nodename if hasattr(os, "uname") else _socket_host_name()


def _socket_host_name() -> str:
    import socket

    return socket.gethostname()


def user_name() -> str:
    """The user running brain (the uid when the account has no name, as in some containers)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def process_alive(pid: int, started_at: float) -> bool:
    """Whether process `pid` on this host still exists and is the one that started a run at
    `started_at` (a recycled pid or a zombie does not count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): trust kill(0)
    state, started = stat
    if state in ("Z", "X"):
        return False
    return started is None or started <= started_at + _START_SLACK_SECONDS


def _proc_stat(pid: int) -> tuple[str, float | None] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = text[text.rfind(")") + 2:].split()
    state = fields[0] if fields else "?"
    try:
        ticks = int(fields[19])  # field 22 of the whole line: start time in clock ticks
        return state, _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError, OSError):
        return state, None


def _boot_time() -> float:
    with contextlib.suppress(OSError):  # no /proc: the estimate below
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    return time.time() - time.monotonic()  # close enough where /proc/stat is unreadable
