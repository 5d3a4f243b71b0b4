"""The express run: `brain run` of a plain entry point on a ready environment, at the cost of
a stat of each file its plan rests on.

A full run (brain.runs.runner) that could have been planned from its files alone leaves a card
(brain.settled) with what it ran and recorded: argv, variables, the environment's folder and
the run record's fixed part. While nothing the card is guarded by has changed (the spec, the
lock and settings files, the environment's link, build, stamp and interpreter, `.brain`, its
`runs` folder and the spool, no git repository appearing around a project outside one, the
`BRAIN_*`, `MLFLOW_TRACKING_URI` and `GIT_DIR` variables, brain's own code), the next run with
the same folder, entry point and `-P` text is run from the card: the same records in the
spool, the same logs, the same child environment and signals (brain.process_copy), without
importing pathlib, typing, subprocess, the spec or the run core (about half of `brain run`).

Only what is fully decided by those files gets a card: the venv backend with no R library, one
step with no port, no inputs, outputs, metrics, data checks or datasets, no `path`
parameters (where a link leads is the filesystem's to say), no MLflow server, and none of
`run`'s other options. In a git repository the code's state is asked of git on every run, as
the full run does (brain.vcs.state): the express run then costs that module and two git
processes more. Anything else, or a card that does not hold, is the full path, which says
what is wrong.
"""

from __future__ import annotations

import os
import time

from brain.settled import cache_root, folder_key, recall

TYPE_CHECKING = False  # not typing's: importing typing costs the express run a few ms
if TYPE_CHECKING:
    from collections.abc import Callable

EXPRESS_KIND = "run"
PER_RUN = ("id", "pid", "started_at", "host", "user", "stdout_log", "stderr_log")


def run_key(project: str | os.PathLike[str] | None, entry: str | None,
            params: tuple[str, ...]) -> str:
    """What a card is kept under: the folders (brain.settled.folder_key), `-e` and `-P` as
    typed (their meaning is the spec's, which the card guards)."""
    return "\0".join((folder_key(project), repr(entry), *params))


def express_run(project: str | os.PathLike[str] | None, entry: str | None,
                params: tuple[str, ...], *, note: Callable[[str], None]) -> int | None:
    """Run from the card kept for these arguments and return brain's exit code; None, with
    nothing done, when there is no card that holds (the full path then runs). `note` is
    given the lines the full path's caller prints as the run starts and ends."""
    try:
        card = recall(cache_root(), EXPRESS_KIND, run_key(project, entry, params))
    except OSError:  # the working directory is gone: the full path says so
        return None
    if card is None:
        return None
    try:
        run = _Prepared(card)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OSError):
        return None  # not found, not ready, not a card of this brain: the full path says why
    try:
        return _run(card, run, note=note)
    finally:
        run.close()


class _Prepared:
    """What a run from `card` needs before its record is written: the program found on the
    child's PATH, its environment, and its log folder and logs made (never through a link).
    Any failure here leaves nothing behind and hands the run to the full path."""

    def __init__(self, card: dict[str, object]) -> None:
        from brain.process_env import in_venv, scrubbed_environment
        from brain.runs.run_origin import new_run_id

        os.close(os.pidfd_open(os.getpid()))  # brain.process_copy waits through a pidfd
        for standard in (0, 1, 2):  # a closed one could be taken by a pipe: subprocess's care
            os.fstat(standard)
        root = str(card["root"])
        inside = [str(card[name]) for name in ("runs", "cwd", "venv")]
        if not os.path.isabs(root) or not all(
                path == root or path.startswith(root + os.sep) for path in inside):
            raise ValueError("not a card of this project")  # brain writes none such
        self.argv = [str(arg) for arg in card["argv"]]  # type: ignore[attr-defined]
        self.template = dict(card["row"])  # type: ignore[call-overload]
        variables = dict(card["variables"])  # type: ignore[call-overload]
        self.env = in_venv(scrubbed_environment(variables), str(card["venv"]))
        self.origin = _origin(card)
        self.fds: list[int] = []
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            runs_fd = self._keep(os.open(str(card["runs"]), flags))
            self.spool_fd = self._keep(os.open(str(card["spool"]), flags))
            self.run_id = new_run_id()
            os.mkdir(self.run_id, 0o755, dir_fd=runs_fd)
            try:
                self.logs = self._open_logs(runs_fd)
            except OSError:
                os.rmdir(self.run_id, dir_fd=runs_fd)
                raise
        except BaseException:
            self.close()
            raise
        self.folder = os.path.join(str(card["runs"]), self.run_id)
        self.env.update({"BRAIN_RUN_ID": self.run_id,
                         str(card["run_dir_variable"]): self.folder})

    def _keep(self, fd: int) -> int:
        self.fds.append(fd)
        return fd

    def _open_logs(self, runs_fd: int) -> tuple[int, int]:
        run_fd = os.open(self.run_id, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                         | os.O_CLOEXEC, dir_fd=runs_fd)
        try:
            flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_NOFOLLOW
                     | os.O_CLOEXEC)
            return (self._keep(os.open("stdout.log", flags, 0o644, dir_fd=run_fd)),
                    self._keep(os.open("stderr.log", flags, 0o644, dir_fd=run_fd)))
        finally:
            os.close(run_fd)

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def _run(card: dict[str, object], run: _Prepared, *, note: Callable[[str], None]) -> int:
    from brain.process_copy import SpawnFailed, run_copied
    from brain.runs.outcome import outcome_of
    from brain.runs.sync_later import START_SYNC_DELAY, sync_later

    row = {**run.template, **run.origin, "id": run.run_id, "pid": os.getpid(),
           "started_at": time.time(), "stdout_log": os.path.join(run.folder, "stdout.log"),
           "stderr_log": os.path.join(run.folder, "stderr.log")}
    from brain.store.spool_write import write_row

    write_row(run.spool_fd, row, "start")
    note(f"run {run.run_id}: {card['started']}")
    try:
        code, stopped_by = run_copied(
            run.argv, cwd=str(card["cwd"]), env=run.env, logs=run.logs,
            timer=(time.monotonic() + START_SYNC_DELAY, sync_later))
    except SpawnFailed as failed:
        from brain.process_env import cannot_run

        # Recorded as the full run records it: the environment's failure, or the error.
        failure = cannot_run(run.argv[0], failed.error)
        if failure is failed.error:
            _end(run.spool_fd, row, "interrupted", None)
            raise failed.error from None
        _end(run.spool_fd, row, "failed", 127, error=str(failure))
        raise failure from None
    except BaseException:
        _end(run.spool_fd, row, "interrupted", None)
        raise
    status, kept, exit_code = outcome_of(code, stopped_by)
    ended = _end(run.spool_fd, row, status, kept)
    took = f"{ended - float(row['started_at']):.2f}s"
    note(f"run {run.run_id} {status} after {took} (exit {kept})")
    return exit_code


def _origin(card: dict[str, object]) -> dict[str, object]:
    """Host, user and git columns of the run; ValueError for text no store can keep (the
    full path refuses such a run and says why)."""
    from brain.runs.run_origin import host_name, user_name
    from brain.store.spool_write import unstorable

    found = {"host": host_name(), "user": user_name(), **_git_columns(card)}
    if any(isinstance(value, str) and unstorable(value) for value in found.values()):
        raise ValueError("not storable")
    return found


def _git_columns(card: dict[str, object]) -> dict[str, object]:
    """The run's git state, asked of git as the full run asks it (brain.vcs.state) when the
    project was in a repository; nothing to ask outside one (the card guards that)."""
    if not card.get("git"):
        return {"git_commit": None, "git_branch": None, "git_remote": None, "git_dirty": None}
    from pathlib import Path

    from brain.vcs.state import git_state

    state = git_state(Path(str(card["root"])))
    return {"git_commit": state.commit, "git_branch": state.branch,
            "git_remote": state.remote,
            "git_dirty": None if state.dirty is None else int(state.dirty)}


def _end(spool_fd: int, row: dict[str, object], status: str, code: int | None, *,
         error: str | None = None) -> float:
    """Keep how the run ended and have the spool synced; the time it ended."""
    from brain.runs.sync_later import sync_later
    from brain.store.spool_write import write_row

    ended = time.time()
    end = {**row, "status": status, "exit_code": code, "ended_at": ended}
    if error is not None:
        import json

        end["extra"] = json.dumps({**json.loads(str(row["extra"])), "error": error},
                                  default=str, sort_keys=True)
    write_row(spool_fd, end, "end")
    sync_later()
    return ended
