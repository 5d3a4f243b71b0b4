"""`brain remote run`: push the project, run brain there, stream it, record it here too.

The parameters are checked here first (a typo fails before anything moves). On the remote,
brain runs the entry point in the pushed folder, building its environment there when needed,
with `--json` so its run record comes back as data on stdout while the entry point's output
streams (on stderr). The remote shell writes its pid to `.brain-remote/run-<id>.pid` before
it becomes brain, so a local Ctrl-C is forwarded as SIGINT to that brain over a second ssh;
it stops the entry point the way a local Ctrl-C would, and the exit code comes back through
ssh. The local record (backend `ssh`) carries the remote's host, folder and run id.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import EXIT_INTERRUPTED
from brain.remote.settings import Remote
from brain.remote.ssh import SSH_FAILED, connection_failure, folder_command, shell_command
from brain.remote.sync import SyncResult, push

if TYPE_CHECKING:
    from brain.runs.plan import RunPlan
    from brain.runs.record import RunRecord

BACKEND = "ssh"
# Not under `.brain/`: that folder is the remote brain's own state, which it creates itself
# (and refuses when something else made it first).
PID_FOLDER = ".brain-remote"


@dataclass(frozen=True)
class RemoteEvent:
    """A step of a remote run, as data: `phase` is `pushing`, `pushed`, `started` or
    `finished`; the fields that phase knows are set. The CLI renders it; others read it."""

    phase: str
    remote: str
    folder: str
    changes: int | None = None
    seconds: float | None = None
    run_id: str | None = None
    remote_run_id: str | None = None
    exit_code: int | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class RemoteRunResult:
    """How a remote run ended: the local record, brain's exit code, the push it needed, and
    the remote's own record (None when brain there failed before recording a run)."""

    record: RunRecord
    exit_code: int
    pushed: SyncResult
    remote_record: dict[str, Any] | None


def remote_run(remote: Remote, root: Path, entry: str | None, assignments: list[str], *,
               on_event: Callable[[RemoteEvent], None] | None = None) -> RemoteRunResult:
    """Push `root` to `remote`, run `entry` there with `assignments` (`k=v`), and record it;
    each step is reported to `on_event`."""
    from brain.params import parse_assignments
    from brain.process import run_live, scrubbed_environment
    from brain.runs.plan import plan_pipeline
    from brain.runs.snapshot import load_snapshot
    from brain.runs.store import RunStore

    emit = on_event or (lambda _event: None)
    snapshot = load_snapshot(root)
    plan = plan_pipeline(snapshot, entry, parse_assignments(tuple(assignments)))[-1]
    folder = remote.url.folder(snapshot.name)
    emit(RemoteEvent("pushing", remote.name, folder))
    pushed = push(remote, snapshot.root, folder, need_brain=True)
    emit(RemoteEvent("pushed", remote.name, folder, changes=len(pushed.changes),
                     seconds=pushed.seconds))
    record = _new_record(remote, plan, folder)
    pid_file = f"{PID_FOLDER}/run-{record.id}.pid"
    command = (f"{folder_command(folder)} && mkdir -p -- {PID_FOLDER} && echo $$ > {pid_file}"
               f" && exec {shell_command(*remote_brain_argv(remote, plan, assignments))}")
    from brain.remote.ssh import ssh_argv

    captured = io.StringIO()
    with RunStore() as store:
        store.insert(record)
        emit(RemoteEvent("started", remote.name, folder, run_id=record.id))
        try:
            code, interrupted = run_live(
                ssh_argv(remote, command), cwd=snapshot.root, env=scrubbed_environment(),
                stdout_log=Path(str(record.stdout_log)), stderr_log=Path(str(record.stderr_log)),
                stdout=captured,
                on_interrupt=lambda _child: _forward_interrupt(remote, folder, pid_file))
        except BaseException:
            store.finish(record.id, "interrupted", None, time.time())
            raise
        remote_record = _remote_record(captured.getvalue())
        if code == SSH_FAILED and remote_record is None and not interrupted:
            from brain.runs.record import tail_lines

            store.finish(record.id, "failed", code, time.time(),
                         extra={"error": "ssh failed"})
            lines = tail_lines(record.stderr_log, 5) or []
            raise connection_failure(remote, "\n".join(lines), what=f"running on {remote.name}")
        status = ("interrupted" if interrupted or code == EXIT_INTERRUPTED
                  else "succeeded" if code == 0 else "failed")
        remote_info = {**record.extra["remote"],
                       "run_id": remote_record.get("id") if remote_record else None,
                       "status": remote_record.get("status") if remote_record else None}
        extra: dict[str, Any] = {"remote": remote_info}
        if remote_record and remote_record.get("env_identity"):
            extra["remote_env_identity"] = remote_record["env_identity"]
        ended = time.time()
        store.finish(record.id, status, code, ended, extra=extra)
    finished = record._replace(status=status, exit_code=code, ended_at=ended,
                       extra={**record.extra, **extra})
    emit(RemoteEvent("finished", remote.name, folder, seconds=ended - record.started_at,
                     run_id=record.id, remote_run_id=remote_info["run_id"], exit_code=code,
                     status=status))
    return RemoteRunResult(finished, code, pushed, remote_record)


def remote_brain_argv(remote: Remote, plan: RunPlan, assignments: list[str]) -> list[str]:
    """What runs on the remote: brain's `run` with one `--opt=value` word per option, so no
    value can be taken for an option of its own."""
    return [remote.brain, "run", "--json", f"--entry={plan.entry_name}",
            *(f"--param={assignment}" for assignment in assignments)]


def _forward_interrupt(remote: Remote, folder: str, pid_file: str) -> bool:
    """SIGINT the remote brain named in `pid_file`; False when it cannot be reached."""
    from brain.process import run_captured
    from brain.remote.ssh import ssh_argv

    command = f'{folder_command(folder)} && kill -INT -- "$(cat -- {pid_file})"'
    completed = run_captured(ssh_argv(remote, command), timeout=30.0)
    return completed.returncode == 0


def _remote_record(text: str) -> dict[str, Any] | None:
    """The JSON run record the remote brain printed last on stdout, if any."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        data = json.loads(text[start:])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _new_record(remote: Remote, plan: RunPlan, folder: str) -> RunRecord:
    from brain.runs.provenance import git_state, host_name, user_name
    from brain.runs.record import RunRecord

    project = plan.project
    logs = _log_dir(project.root, plan.run_id)
    url = remote.url
    return RunRecord(
        id=plan.run_id, namespace=project.namespace, project=project.name,
        version=project.version, project_path=str(project.root),
        entry_point=plan.entry_name, parameters=plan.parameters_json(), command=plan.command,
        backend=BACKEND, env_identity="", spec_hash=project.spec_hash, python_version=None,
        host=host_name(), user=user_name(), pid=os.getpid(), started_at=time.time(),
        git=git_state(project.root), stdout_log=str(logs / "stdout.log"),
        stderr_log=str(logs / "stderr.log"), origin=str(url),
        extra={"entry_type": plan.entry_type,
               "remote": {"name": remote.name, "host": url.host, "port": url.port,
                          "user": url.user, "path": folder}},
    )


def _log_dir(root: Path, run_id: str) -> Path:
    from brain.errors import EnvironmentFailure
    from brain.paths import project_state_dir

    state = project_state_dir(root)
    directory = state / "runs" / run_id
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = state / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")  # logs never make git look dirty
    except OSError as error:
        raise EnvironmentFailure(f"cannot create the run log folder {directory}: "
                                 f"{error.strerror}") from None
    return directory
