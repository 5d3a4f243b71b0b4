"""`brain remote push` / `pull`: rsync over ssh between the project and its remote folder.

What moves: the project as git sees it (`.gitignore` rules honoured through rsync's
per-directory merge filter), never `.brain/` (environments, run logs) nor `.git/`. Deletions
happen only when asked. Symlinks that point outside the tree are skipped (`--safe-links`),
and a pulled path is refused when it is absolute, climbs with `..`, or would be written
through a local symlink that leaves the project.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from brain.errors import EnvironmentFailure, InvalidInput
from brain.remote.settings import Remote
from brain.remote.ssh import connection_failure, probe_command, probe_failure, rsync_shell
from brain.remote.url import check_project_path

# rsync's own exit codes that mean "the other side is not there or not rsync".
_RSYNC_REMOTE_FAILURES = {12: "the remote rsync stopped talking", 255: "ssh failed"}
# `.brain-remote/` is what brain keeps on a remote about its own processes there (pid files,
# the lab log): never copied either way.
NEVER_COPIED = (".brain/", "/.brain-remote/", "/.git/")


@dataclass(frozen=True)
class Change:
    """One item rsync moved or would move: its itemize code and its path."""

    code: str
    path: str

    @property
    def deleted(self) -> bool:
        """True when the item is (or would be) deleted."""
        return self.code.startswith("*deleting")


@dataclass(frozen=True)
class SyncResult:
    """What a push or pull did (or, with dry_run, would do)."""

    direction: str  # "push" | "pull"
    remote: str
    folder: str
    dry_run: bool
    seconds: float
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"direction": self.direction, "remote": self.remote, "folder": self.folder,
                "dry_run": self.dry_run, "seconds": round(self.seconds, 3),
                "changes": [{"code": change.code, "path": change.path,
                             "deleted": change.deleted} for change in self.changes]}


def rsync_argv(remote: Remote, sources: list[str], destination: str, *, dry_run: bool,
               delete: bool, gitignore: bool, relative: bool = False,
               checks: str | None = None) -> list[str]:
    """The rsync command line: archive mode, arguments protected from the remote shell,
    unsafe symlinks skipped, brain's and git's state excluded; `checks` (a probe script)
    runs on the remote just before its rsync starts, in the same connection."""
    argv = ["rsync", "--archive", "--protect-args", "--safe-links", "--partial",
            "--out-format=%i %n%L", "-e", rsync_shell(remote)]
    if checks is not None:
        argv.append(f"--rsync-path={checks}; rsync")
    argv += [f"--exclude={pattern}" for pattern in NEVER_COPIED]
    if gitignore:
        argv.append("--filter=:- .gitignore")
    if relative:
        argv.append("--relative")
    if delete:
        argv.append("--delete")
    if dry_run:
        argv.append("--dry-run")
    return [*argv, "--", *sources, destination]


def push(remote: Remote, root: Path, folder: str, *, dry_run: bool = False,
         delete: bool = False, need_brain: bool = False,
         progress: IO[str] | None = None) -> SyncResult:
    """Copy the project at `root` to `folder` on the remote (checking, with `need_brain`,
    that brain is there too, in the same round trip). rsync's progress is shown on
    `progress` (a terminal) when given."""
    started = time.monotonic()
    checks = probe_command(folder, create=True, rsync=True,
                           brain=remote.brain if need_brain else None)
    argv = rsync_argv(remote, [f"{root}/"], f"{_host(remote)}:{folder}/", dry_run=dry_run,
                      delete=delete, gitignore=True, checks=checks)
    changes = _run_rsync(remote, argv, folder, what=f"pushing to {remote.name}",
                         progress=progress)
    return SyncResult("push", remote.name, folder, dry_run, time.monotonic() - started, changes)


def pull(remote: Remote, root: Path, folder: str, paths: list[str], *, dry_run: bool = False,
         delete: bool = False, progress: IO[str] | None = None) -> SyncResult:
    """Copy `paths` (default: the whole project, as `.gitignore` allows) from the remote
    folder into the project at `root`. Named paths are copied even when git ignores them
    (outputs usually are)."""
    started = time.monotonic()
    root = root.resolve()
    checked = [check_project_path(path) for path in paths]
    for path in checked:
        check_local_target(root, path)
    checks = probe_command(folder, create=False, rsync=True, brain=None)
    host = _host(remote)
    if checked:
        # `/./` marks where the relative part starts: each path keeps its place in the tree.
        sources = [f"{host}:{folder}/./{checked[0]}", *(f":{folder}/./{path}"
                                                         for path in checked[1:])]
        argv = rsync_argv(remote, sources, f"{root}/", dry_run=dry_run, delete=delete,
                          gitignore=False, relative=True, checks=checks)
    else:
        argv = rsync_argv(remote, [f"{host}:{folder}/"], f"{root}/", dry_run=dry_run,
                          delete=delete, gitignore=True, checks=checks)
    changes = _run_rsync(remote, argv, folder, what=f"pulling from {remote.name}",
                         progress=progress)
    return SyncResult("pull", remote.name, folder, dry_run, time.monotonic() - started, changes)


def check_local_target(root: Path, relative: str) -> None:
    """Refuse a pulled path whose local place is reached through a symlink leaving `root`."""
    current = root
    for part in relative.split("/"):
        current = current / part
        if current.is_symlink():
            target = current.resolve()
            if target != root and root not in target.parents:
                raise InvalidInput(f"{relative!r} would be written through the symlink "
                                   f"{current.relative_to(root)} which points outside the "
                                   "project", hint="remove the symlink or pull another path")
        if not current.exists():
            return


def _host(remote: Remote) -> str:
    return remote.url.host  # brackets kept for IPv6: rsync's host:path needs them


def _run_rsync(remote: Remote, argv: list[str], folder: str, *, what: str,
               progress: IO[str] | None) -> list[Change]:
    completed = _rsync(argv, progress)
    code = completed.returncode
    if code != 0:
        failed_check = probe_failure(remote, folder, completed.stderr)
        if failed_check is not None:
            raise failed_check
    if code == 255 or (code in _RSYNC_REMOTE_FAILURES and _ssh_said(completed.stderr)):
        raise connection_failure(remote, completed.stderr, what=what)
    if code == 23 and "No such file or directory" in completed.stderr:
        missing = [line for line in completed.stderr.splitlines() if "change_dir" in line
                   or "link_stat" in line]
        raise InvalidInput(f"{what}: a path is not on the remote"
                           + (f" ({missing[0].strip()[:200]})" if missing else ""),
                           hint="check the path, or push first")
    if code != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-5:])
        raise EnvironmentFailure(f"{what} failed (rsync exit {code}): {tail}")
    return _changes(completed.stdout)


def _ssh_said(stderr: str) -> bool:
    """Whether ssh itself failed under rsync: rsync then exits 255 or, as often, 12 (its data
    stream closed), with ssh's own line before its own."""
    return any(marker in stderr for marker in (
        "ssh:", "Permission denied (", "Host key verification failed",
        "Too many authentication failures"))


def _rsync(argv: list[str], progress: IO[str] | None) -> subprocess.CompletedProcess[str]:
    """Run rsync captured, or live with its progress shown on `progress` (and captured)."""
    from brain.process import run_captured, run_live, scrubbed_environment

    if progress is None:
        return run_captured(argv, timeout=None)
    argv = [argv[0], "--info=progress2", *argv[1:]]
    shown = _Tee(progress)
    with tempfile.TemporaryDirectory(prefix="brain-rsync-") as folder:
        errors = Path(folder) / "stderr"
        code, _ = run_live(argv, cwd=Path.cwd(), env=scrubbed_environment(), stdout=shown,
                           stderr_log=errors, stderr=io.StringIO())
        stderr = errors.read_text(encoding="utf-8", errors="replace") if errors.exists() else ""
    progress.write("\n")
    return subprocess.CompletedProcess(argv, code, shown.text(), stderr)


class _Tee(io.StringIO):
    """Shows what is written on `sink` and keeps a copy."""

    def __init__(self, sink: IO[str]) -> None:
        super().__init__()
        self._sink = sink

    def write(self, text: str) -> int:
        self._sink.write(text)
        self._sink.flush()
        return super().write(text)

    def text(self) -> str:
        return self.getvalue()


# `%i %n%L` lines; progress2 updates start with a carriage return and may share a line.
_ITEM = re.compile(r"(\*deleting|[<>ch.][fdLDS][^ ]{9}) +(.*)")
_PROGRESS = re.compile(r"\s*[\d,.]+\s+\d+%\s+\S+\s+\d+:\d\d:\d\d(?:\s+\([^)]*\))?")


def _changes(text: str) -> list[Change]:
    changes = []
    for line in text.split("\n"):
        for fragment in line.split("\r"):
            progress = _PROGRESS.match(fragment)
            if progress is not None:  # an update not yet ended by a carriage return
                fragment = fragment[progress.end():]
            found = _ITEM.fullmatch(fragment.rstrip())
            if found is None or found[2] in ("", "./"):
                continue
            changes.append(Change(found[1], found[2]))
    return changes
