"""Executing a RunPlan: the environment, the run record, live output and logs, the outcome.

The record is written before the child starts (status `running`, owned by this brain's pid)
and finished when it ends, so a brain killed midway leaves a record that the store later
reconciles to `unknown`, never a run that silently vanished. Both go through the local spool
and reach the store by a detached sync (brain.runs.journal): `brain run` never opens the store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from brain.envs.select import DEFAULT_BACKEND
from brain.errors import EXIT_INTERRUPTED, BrainError, EnvironmentFailure, InvalidInput
from brain.file_hashes import file_sizes, hash_files
from brain.run_plan import RUN_DIR_VARIABLE
from brain.runs.outcome import outcome_of

if TYPE_CHECKING:
    import subprocess
    import threading

    from brain.envs.base import Environment, Progress
    from brain.run_plan import RunPlan
    from brain.runs.app import PortWatcher
    from brain.runs.checking import RunChecks
    from brain.runs.journal import RunJournal
    from brain.runs.mlflow_link import MlflowRun
    from brain.runs.record import GitState, RunRecord
    from brain.spec.loader import Project


class RunResult(NamedTuple):
    """How a run ended: its finished record and the exit code brain should exit with."""

    record: RunRecord
    exit_code: int
    url: str | None = None  # apps: where the server answered
    message: str | None = None  # why the run failed when it was not the entry point's doing


def environment(plan: RunPlan, backend: str) -> Environment:
    """The environment `plan` runs in (not built by this call)."""
    from typing import cast

    from brain.envs.select import EnvironmentOptions, environment_for
    from brain.runs.provenance import source_revision

    root = plan.project.root
    options = EnvironmentOptions(revision=lambda: source_revision(root))
    # The snapshot offers everything a Project does (root, spec_file, spec_hash, and spec and
    # document loaded on first use), so a backend that needs the full spec still gets it.
    return environment_for(cast("Project", plan.project), backend, options=options)


def execute(
    plan: RunPlan,
    *,
    backend: str = DEFAULT_BACKEND,
    setup: bool = True,
    progress: Progress | None = None,
    on_started: Callable[[RunRecord], None] | None = None,
    on_ready: Callable[[str], None] | None = None,
    start_timeout: float | None = None,
    stdout: IO[str] | None = None,
    origin: str | None = None,
    extra: dict[str, Any] | None = None,
    on_process: Callable[[subprocess.Popen[bytes]], None] | None = None,
    stopping: threading.Event | None = None,
) -> RunResult:
    """Run `plan`: ensure its environment, record it, stream it, finish the record.

    With `setup=False` a missing or stale environment is an EnvironmentFailure (exit 3)
    instead of being built. Apps (`plan.port`) run until interrupted; `on_ready(url)` is
    called once their port answers. `origin` (e.g. a launch URL) is stored in the record,
    and `extra` (e.g. the run cache key) merged into its `extra`. `on_process` is given the
    child once started (a sweep stops its points with it); a child that ends once `stopping`
    is set was stopped by the caller (a sweep's Ctrl-C) and is recorded as interrupted.
    """
    from brain.process import run_live
    from brain.runs import checking
    from brain.runs.journal import RunJournal

    checks = checking.declared(plan)
    if checks:
        checking.require_backend(plan, backend)
    git = _Background(_git_state, plan.project.root)  # two git processes, run meanwhile
    env, identity = _ready_environment(plan, backend, setup, progress)
    # BRAIN_RUN_DIR: a folder of this run's own (its logs' folder), where runs that share a
    # project folder at the same time (sweep points) write their files and metrics apart.
    variables = {**plan.variables,
                 RUN_DIR_VARIABLE: str(_log_dir(plan.project.root, plan.run_id))}
    if plan.port is not None:  # the app's port: a container backend publishes it
        variables["BRAIN_PORT"] = str(plan.port)
    watcher: PortWatcher | None = None
    if plan.port is not None:
        from brain.runs.app import DEFAULT_START_TIMEOUT, PortWatcher, port_answers

        if port_answers(plan.port):
            raise InvalidInput(f"port {plan.port} is already in use on this machine",
                               hint="stop what listens there, or pass another port with -P "
                               "port=N")
        watcher = PortWatcher(plan.port, timeout=start_timeout or DEFAULT_START_TIMEOUT,
                              on_ready=on_ready)
    data: dict[str, str] | None = None
    if plan.project.datasets:
        from brain.data.run_data import before_run

        # Missing input datasets are pulled first; every dataset's version is recorded.
        data = before_run(plan.project, plan.inputs, progress)
    record = _new_record(plan, env, identity, git.result())
    # Refuses checks naming files outside the project before the run is recorded.
    stages = checking.RunChecks(plan, env, checks, variables,
                                Path(str(record.stdout_log)).parent)
    if data is not None:
        record.extra["data"] = data
    # A backend may name where the run went (the ray backend: its address and job id).
    details = getattr(env, "record_details", None)
    extra = {**(details(plan.run_id) if details is not None else {}), **(extra or {})}
    record = record._replace(origin=origin, extra={**record.extra, **extra})
    link, linked = _start_link(record)
    if linked is not None:
        record = record._replace(extra={**record.extra, "mlflow": linked})
    invocation = env.invocation(list(plan.argv), {**variables, **(
        link.variables() if link is not None else {})})
    journal = RunJournal(record)
    journal.start()
    if on_started is not None:
        on_started(record)
    try:
        if not stages.before():
            finished = stages.stopped(journal, record)
            return RunResult(finished, finished.exit_code or 1, None,
                             finished.extra.get("error"))
        code, stopped_by = run_live(
            invocation.argv, cwd=plan.cwd, env=invocation.env,
            stdout_log=Path(str(record.stdout_log)), stderr_log=Path(str(record.stderr_log)),
            on_start=_started(watcher, on_process), stdout=stdout,
        )
        if stopped_by is None and stopping is not None and stopping.is_set():
            import signal

            stopped_by = signal.SIGINT
    except BrainError as error:
        ended = time.time()
        journal.finish("failed", 127, ended, extra={
            "error": error.message, **_end_link(link, record, "failed", ended)})
        raise
    except BaseException:
        ended = time.time()
        journal.finish("interrupted", None, ended,
                       extra=_end_link(link, record, "interrupted", ended))
        raise
    return _finish(journal, plan, record, code, stopped_by, watcher, stages, link)


def _start_link(record: RunRecord) -> tuple[MlflowRun | None, dict[str, Any] | None]:
    """The MLflow run of `record` when a tracking server is configured (brain.runs.mlflow_link)
    and the record's `mlflow` entry: linked, or not linked and why; (None, None) when no
    tracking server is configured."""
    from brain.runs.mlflow_config import configured_uri

    uri = configured_uri()
    if uri is None:
        return None, None
    from brain.runs import mlflow_link

    try:
        run = mlflow_link.start_run(uri, record)
    except mlflow_link.LinkFailure as error:
        return None, mlflow_link.not_linked(uri, str(error))
    return run, run.as_record()


def _end_link(link: MlflowRun | None, record: RunRecord, status: str,
              ended: float) -> dict[str, Any]:
    """End the MLflow run with the outcome; the record's extra to merge (the `mlflow` entry
    with `end_error` when the server could not be told)."""
    if link is None:
        return {}
    from brain.runs import mlflow_link

    try:
        mlflow_link.end_run(link, status, ended)
    except mlflow_link.LinkFailure as error:
        return {"mlflow": {**record.extra.get("mlflow", {}), "end_error": str(error)}}
    return {}


def _started(watcher: PortWatcher | None,
             on_process: Callable[[subprocess.Popen[bytes]], None] | None,
             ) -> Callable[[subprocess.Popen[bytes]], None] | None:
    """What run_live calls with the started child: the port watcher and `on_process`."""
    if watcher is None or on_process is None:
        return on_process if watcher is None else watcher.start

    def both(child: subprocess.Popen[bytes]) -> None:
        on_process(child)
        watcher.start(child)

    return both


def _finish(journal: RunJournal, plan: RunPlan, record: RunRecord, code: int,
            stopped_by: int | None, watcher: PortWatcher | None, stages: RunChecks,
            link: MlflowRun | None) -> RunResult:
    """Record how the run ended (hashing declared outputs of a success, checking them) and
    say so."""
    status, exit_code, message = _outcome(plan, code, stopped_by, watcher)
    made = status == "succeeded"  # the entry point itself succeeded: its outputs count
    if made and not stages.after():
        status = "failed"
        exit_code, message = stages.failure()
        code = exit_code
    if stopped_by is not None and exit_code != EXIT_INTERRUPTED:
        code = exit_code  # SIGTERM/SIGHUP: the record says what brain exits with (143, 129)
    extra: dict[str, Any] = {}
    if message:
        extra["error"] = message
    extra.update(stages.extra())
    if made and plan.outputs:
        # Hashed when output checks failed too: the record says which files they refused.
        extra["outputs"] = hash_files(plan.cwd, plan.outputs)
        extra["output_sizes"] = file_sizes(plan.cwd, plan.outputs)  # `runs reproduce` says how
        if plan.project.datasets and status == "succeeded":
            from brain.data.run_data import after_run

            extra["data_written"] = after_run(plan.project, plan.outputs)
    declared = getattr(plan.project.entry_points.get(plan.entry_name), "metrics", None)
    if status == "succeeded" and declared:
        extra.update(_metrics(plan, record, declared))
    ended = time.time()
    extra.update(_end_link(link, record, status, ended))
    journal.finish(status, code, ended, extra=extra)
    finished = record._replace(status=status, exit_code=code, ended_at=ended,
                               extra={**record.extra, **extra})
    url = None
    if watcher is not None and watcher.ready.is_set():
        from brain.runs.app import url_for

        url = url_for(watcher.port)
    return RunResult(finished, exit_code, url, message)


def _metrics(plan: RunPlan, record: RunRecord, declared: str) -> dict[str, Any]:
    """The run's metrics for its record, and the warnings a bad metrics file earned."""
    from brain.runs.metrics import read_metrics

    found = read_metrics(declared, plan.cwd, plan.project.root,
                         str(Path(str(record.stdout_log)).parent))
    extra: dict[str, Any] = {"metrics": found.values}
    if found.warnings:
        extra["metrics_warnings"] = list(found.warnings)
    return extra


def _ready_environment(plan: RunPlan, backend: str, setup: bool,
                       progress: Progress | None) -> tuple[Environment, str]:
    """The environment, ready, and its identity."""
    env = environment(plan, backend)
    if setup:
        return env, env.ensure(progress).identity
    # A backend may answer "ready" from its stamp alone (see brain.envs.select); only when it
    # cannot is the full check (which loads the spec) needed.
    from brain.envs.select import EnvironmentOptions
    from brain.envs.select import backend as backend_named

    result = backend_named(backend).quick_result(plan.project.root, EnvironmentOptions())
    if result is not None:
        return env, str(result.identity)
    if not env.is_ready():
        raise EnvironmentFailure(
            f"the {env.name} environment of {plan.project.name} is missing or out of date "
            "and --no-setup was given",
            hint="run `brain setup-deps` first, or drop --no-setup")
    return env, env.identity()


def _outcome(plan: RunPlan, code: int, stopped_by: int | None,
             watcher: PortWatcher | None) -> tuple[str, int, str | None]:
    """(status, brain's exit code, message) for a child that ended with `code`; a run stopped
    by Ctrl-C exits 130, one stopped by SIGTERM/SIGHUP sent to brain 128+signal."""
    if watcher is not None and watcher.timed_out:
        return "failed", code or 1, (f"the app did not answer on port {plan.port} within "
                                     f"{watcher.timeout:g}s")
    if stopped_by is None and watcher is not None and not watcher.ready.is_set():
        return "failed", code or 1, (f"the app exited (code {code}) before its port "
                                     f"{plan.port} answered")
    status, _, exit_code = outcome_of(code, stopped_by)
    return status, exit_code, None


def _new_record(plan: RunPlan, env: Environment, identity: str, git: GitState) -> RunRecord:
    from brain.runs.provenance import host_name, user_name
    from brain.runs.record import RunRecord

    project = plan.project
    log_dir = _log_dir(project.root, plan.run_id)
    extra: dict[str, Any] = {"entry_type": plan.entry_type, "argv": list(plan.argv)}
    if plan.inputs:
        extra["inputs"] = hash_files(plan.cwd, plan.inputs)
    if plan.port is not None:
        extra["port"] = plan.port
    return RunRecord(
        id=plan.run_id,
        namespace=project.namespace,
        project=project.name,
        version=project.version,
        project_path=str(project.root),
        entry_point=plan.entry_name,
        parameters=plan.parameters_json(),
        command=plan.command,
        backend=env.name,
        env_identity=identity,
        spec_hash=project.spec_hash,
        python_version=_python_version(env),
        host=host_name(),
        user=user_name(),
        pid=os.getpid(),
        started_at=time.time(),
        git=git,
        stdout_log=str(log_dir / "stdout.log"),
        stderr_log=str(log_dir / "stderr.log"),
        extra=extra,
    )


def _git_state(root: Path) -> GitState:
    from brain.runs.provenance import git_state

    return git_state(root)


class _Background:
    """`function(argument)` on a thread; `result()` waits for it (and re-raises its error)."""

    def __init__(self, function: Callable[[Path], GitState], argument: Path) -> None:
        import threading

        self._value: GitState | None = None
        self._error: BaseException | None = None

        def work() -> None:
            try:
                self._value = function(argument)
            except BaseException as error:  # handed to the caller of result()
                self._error = error

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def result(self) -> GitState:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _log_dir(root: Path, run_id: str) -> Path:
    from brain.statefs import safe_dir, state_folder

    directory = root / ".brain" / "runs" / run_id
    try:
        # Never through a symlink, and only in a `.brain/` brain made (UnsafeState otherwise);
        # the `.gitignore` brain writes there keeps logs out of the project's git tree.
        directory = safe_dir(state_folder(root, "runs"), run_id)
    except OSError as error:
        raise EnvironmentFailure(f"cannot create the run log folder {directory}: "
                                 f"{error.strerror}",
                                 hint="check the project folder is writable") from None
    return directory


def _python_version(env: Environment) -> str | None:
    from brain.envs.select import backend

    return backend(env.name).python_version(env)
