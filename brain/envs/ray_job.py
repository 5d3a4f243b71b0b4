"""The local side of a Ray Job: `python -m brain.envs.ray_job JOB_FILE`.

Started by the runner like any entry point (see brain.envs.ray_backend): it ships the
project (the files git would commit: ignored files and `.brain/` left out) as the job's
working directory, submits the job with Ray's Jobs SDK, prints the job's log as it grows,
copies back the metrics files the job wrote into the run's own folder, and exits with the
job's exit code. Ctrl-C (forwarded by brain) stops the job. Failures that are the cluster's,
not the entry point's (unreachable, could not start, not enough resources) exit 3 with one
`brain: ...` line.
"""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXIT_CLUSTER = 3  # brain.errors.EnvironmentFailure's code
EXIT_INTERRUPTED = 130
POLL_SECONDS = 0.25
START_TIMEOUT = 600.0  # seconds a job may stay PENDING (BRAIN_RAY_START_TIMEOUT, read by brain)
METRICS_MARK = "\x1ebrain-metrics "
_MAX_METRICS = 1 << 20
_ALWAYS_LEFT_OUT = {".brain", ".git", ".venv", "__pycache__"}

# Runs on the cluster in the job's working directory: the entry point's argv, then every
# declared metrics file it wrote, each on one marked line brain takes out of the log.
SHIM = f"""\
import json, os, subprocess, sys
code = subprocess.call(json.loads(sys.argv[1]))
for name in json.loads(sys.argv[2]) if code == 0 else []:
    try:
        with open(name, "rb") as handle:
            data = handle.read({_MAX_METRICS + 1})
    except OSError:
        continue
    if len(data) <= {_MAX_METRICS}:
        print({METRICS_MARK!r} + json.dumps([name, data.decode("utf-8", "replace")]), flush=True)
sys.exit(code if code >= 0 else 128 - code)
"""


class ClusterFailure(Exception):
    """The job could not run for a reason of the cluster's (exit 3)."""


def main(argv: list[str]) -> int:
    """Submit the job described in `argv[0]`, follow it, return the exit code."""
    text = argv[0] if argv[0].startswith("{") else Path(argv[0]).read_text(encoding="utf-8")
    job = json.loads(text)
    # brain forwards SIGTERM/SIGHUP too: treat them as Ctrl-C so the job is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    client = None
    try:
        client = _client(job["address"])
        _check_resources(job["address"], job["resources"])
        submission = _submit(client, job)
        return _follow(client, submission, job)
    except ClusterFailure as failure:
        print(f"brain: {failure}", file=sys.stderr, flush=True)
        return EXIT_CLUSTER
    except KeyboardInterrupt:
        # brain escalates to SIGTERM, then SIGKILL, 5 s apart: stopping the job must not
        # be cut short by the first.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if client is not None and job.get("submission_id"):
            _stop(client, job["submission_id"])
        return EXIT_INTERRUPTED


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _client(address: str) -> Any:
    import logging

    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError:
        from brain.extras import DISTRIBUTION

        raise ClusterFailure(f"the ray backend needs the 'ray' extra: pip install "
                             f"'{DISTRIBUTION}[ray]'") from None
    # The SDK logs each upload step at INFO; the job's own output is what brain shows.
    for name in [*logging.root.manager.loggerDict, "ray"]:
        if name.startswith("ray"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        return JobSubmissionClient(address)
    except (ConnectionError, RuntimeError, ValueError, OSError) as error:
        raise ClusterFailure(f"cannot reach the Ray cluster at {address}: "
                             f"{_first_line(error)}") from None


def _check_resources(address: str, wanted: dict[str, Any]) -> None:
    """Refuse a request no node of the cluster can meet, rather than wait forever."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{address}/api/cluster_status",
                                    timeout=10) as answer:
            nodes = json.loads(answer.read(1 << 22))["data"]["clusterStatus"][
                "loadMetricsReport"]["usageByNode"].values()
    except Exception:  # an older or different dashboard: the start timeout still applies
        return
    names = {"entrypoint_num_cpus": "CPU", "entrypoint_num_gpus": "GPU",
             "entrypoint_memory": "memory"}
    for key, resource in names.items():
        if key not in wanted:
            continue
        # A node that has not reported yet (a head just started, a busy machine) says
        # nothing: with no report at all the start timeout decides, not a guess of zero.
        totals = [float(node[resource][1]) for node in nodes if resource in node]
        largest = max(totals, default=None)
        if largest is not None and float(wanted[key]) > largest:
            raise ClusterFailure(
                f"out of resources: the job asks for {wanted[key]:g} {resource} "
                f"(hardware in onebrain.yml) and the largest node of the cluster at {address} "
                f"has {largest:g}")


def _submit(client: Any, job: dict[str, Any]) -> str:
    runtime_env: dict[str, Any] = {"env_vars": job["variables"]}
    if job["pip"]:
        runtime_env["pip"] = {"packages": job["pip"]}
        if job.get("pip_options"):
            runtime_env["pip"]["pip_install_options"] = job["pip_options"]
    # One line (Ray echoes the entrypoint in the log, before the job's own output).
    entrypoint = shlex.join([
        "python", "-c", f"exec({SHIM!r})", json.dumps(job["argv"]), json.dumps(job["metrics"])])
    with tempfile.TemporaryDirectory(prefix="brain-ray-") as folder:
        working = Path(folder) / "project"
        ship_project(Path(job["root"]), working)
        # Ray unpacks equal packages once per node and lets their jobs share the folder; a
        # file naming the run makes each job's package, so its working copy, its own.
        (working / ".brain-run").write_text(str(job.get("submission_id")), encoding="utf-8")
        runtime_env["working_dir"] = str(working)
        try:
            submission = str(client.submit_job(entrypoint=entrypoint,
                                               submission_id=job.get("submission_id"),
                                               runtime_env=runtime_env, **job["resources"]))
        except Exception as error:  # the SDK raises RuntimeError, ValueError, HTTP errors
            raise ClusterFailure(f"the Ray job was not accepted: {_first_line(error)}") from None
    print(f"brain: Ray job {submission} submitted to {job['address']}", file=sys.stderr,
          flush=True)
    return submission


def ship_project(root: Path, into: Path) -> int:
    """Copy the project's shippable files (what git would commit) into `into`; how many."""
    into.mkdir(parents=True)
    count = 0
    resolved_root = root.resolve()
    for relative in project_files(root):
        source = root / relative
        if source.is_symlink() and not source.resolve().is_relative_to(resolved_root):
            continue  # a link out of the project would ship what it points at
        if not source.is_file():
            continue
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        count += 1
    return count


def project_files(root: Path) -> list[str]:
    """Tracked and new files git does not ignore; every file when not in a repository.
    `.brain/` (venv, logs) and version-control folders are always left out."""
    from brain.errors import BrainError
    from brain.process import run_checked

    try:
        listed = run_checked(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=root, what="git ls-files").stdout
        names = [name for name in listed.split("\0") if name]
    except BrainError:
        names = [str(path.relative_to(root)) for path in root.rglob("*")]
    return sorted({name for name in names
                   if not _ALWAYS_LEFT_OUT & set(Path(name).parts)})


def _follow(client: Any, submission: str, job: dict[str, Any]) -> int:
    from ray.job_submission import JobStatus

    shown = 0
    started = time.monotonic()
    limit = float(job.get("start_timeout") or START_TIMEOUT)
    log = _Log(job)
    while True:
        status = client.get_job_status(submission)
        shown = log.show(client.get_job_logs(submission), shown)
        if status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
            break
        if status == JobStatus.PENDING and time.monotonic() - started > limit:
            _stop(client, submission)
            raise ClusterFailure(f"the Ray job {submission} did not start within {limit:g}s "
                                 "(not enough free resources on the cluster, or its runtime "
                                 "environment is still installing)")
        time.sleep(POLL_SECONDS)
    log.show(client.get_job_logs(submission), shown, final=True)
    info = client.get_job_info(submission)
    if status == JobStatus.SUCCEEDED:
        return 0
    if status == JobStatus.STOPPED:
        print(f"brain: the Ray job {submission} was stopped", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    code = getattr(info, "driver_exit_code", None)
    kind = getattr(info, "error_type", None) or ""
    kind = str(getattr(kind, "value", kind))
    if kind and kind != "JOB_ENTRYPOINT_COMMAND_ERROR":
        raise ClusterFailure(f"the Ray job {submission} failed to start ({kind}): "
                             f"{_first_line(info.message or '')}")
    return int(code) if isinstance(code, int) and code > 0 else 1


class _Log:
    """The job's log as brain shows it: Ray's own preamble and the metrics lines left out."""

    def __init__(self, job: dict[str, Any]) -> None:
        self._job = job
        self._begun = False
        self._pending = ""

    def show(self, text: str, shown: int, *, final: bool = False) -> int:
        """Print what `text` (the whole log so far) adds past `shown` characters."""
        new = self._pending + text[shown:]
        lines = new.split("\n")
        self._pending = "" if final else lines.pop()
        for line in lines:
            if not self._begun:
                # Ray writes its own lines first, up to "Running entrypoint for job ...".
                self._begun = line.startswith("Running entrypoint for job ")
                continue
            if line.startswith(METRICS_MARK):
                self._keep_metrics(line[len(METRICS_MARK):])
            elif line or not final:
                sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return len(text)

    def _keep_metrics(self, payload: str) -> None:
        """Write a metrics file the job sent into the run's own folder (where brain reads
        it); only names the spec declared, never outside that folder."""
        try:
            name, content = json.loads(payload)
        except (ValueError, TypeError):
            return
        run_dir = self._job.get("run_dir")
        if not run_dir or name not in self._job["metrics"]:
            return
        target = (Path(run_dir) / name).resolve()
        if not target.is_relative_to(Path(run_dir).resolve()):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(content)[:_MAX_METRICS], encoding="utf-8")


def _stop(client: Any, submission: str) -> None:
    """Stop the job and wait (briefly) until Ray says it ended."""
    from ray.job_submission import JobStatus

    try:
        client.stop_job(submission)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and client.get_job_status(submission) not in (
                JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
            time.sleep(POLL_SECONDS)
    except Exception as error:  # the job may be gone, or the cluster with it
        print(f"brain: could not stop the Ray job {submission}: {_first_line(error)}",
              file=sys.stderr, flush=True)
    else:
        print(f"brain: stopped the Ray job {submission}", file=sys.stderr, flush=True)


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:500] if text else type(error).__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
