"""`brain run --backend ray` against a real one-node cluster: the job's log reaches brain and
its record, the exit code passes through, Ctrl-C stops the job, the cluster's failures exit 3,
and a six-point sweep runs on it."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.store import RunStore
from tests.conftest import Result
from tests.run.conftest import free_port, start_brain, wait_for

SPEC = """
name: on-ray
version: 0.1.0
env:
  variables: {GREETING: hello from the spec}
hardware: {cpu: 1}
entry_points:
  fit:
    type: python
    script: fit.py
    metrics: metrics.json
    parameters:
      alpha: {type: float, default: 0.5}
      mode: {type: choice, choices: [fast, full], default: fast}
      code: {type: int, default: 0}
      wait: {type: float, default: 0}
"""

FIT = """
import json, os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("fit", args["--alpha"], args["--mode"], os.environ["GREETING"], flush=True)
print("files", sorted(os.listdir(".")), flush=True)
with open("model.txt", "a") as handle:  # in its working copy: shared, it would grow
    handle.write(args["--alpha"] + "\\n")
with open("model.txt") as handle:
    print("model", handle.read().split(), flush=True)
if float(args["--wait"]):
    print("sleeping", flush=True)
    time.sleep(float(args["--wait"]))
with open(os.path.join(os.environ["BRAIN_RUN_DIR"], "metrics.json"), "w") as handle:
    json.dump({"loss": round(float(args["--alpha"]) ** 2, 6)}, handle)
sys.exit(int(args["--code"]))
"""


@pytest.fixture
def on_ray(ray_cluster: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The cluster's address, in force for brain (BRAIN_RAY_ADDRESS)."""
    monkeypatch.setenv("BRAIN_RAY_ADDRESS", ray_cluster)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    return ray_cluster


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    """A git repository with an ignored file and brain state that must not be shipped."""
    root = make_project({"onebrain.yml": SPEC, "fit.py": FIT, ".gitignore": "secret.txt\n",
                         "secret.txt": "do not ship\n", "data/new.csv": "a,b\n"})
    from brain.statefs import project_state

    (project_state(root) / "junk").write_text("state\n")  # brain's own state, made by brain
    for args in (["init", "-q"], ["add", "onebrain.yml", "fit.py", ".gitignore"],
                 ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def _client(address: str):  # type: ignore[no-untyped-def]
    from ray.job_submission import JobSubmissionClient

    return JobSubmissionClient(address)


def test_a_job_runs_with_its_parameters_variables_files_and_resources(
        brain: Callable[..., Result], on_ray: str, project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "-P", "alpha=0.3", "--backend", "ray",
                   "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    # The job's own output, from the cluster's log: values and variables travelled.
    log = Path(record["stdout_log"]).read_text()
    assert log.splitlines()[0] == "fit 0.3 fast hello from the spec"
    # What git would commit (tracked and new files), never ignored files or .brain/.
    assert log.splitlines()[1] == \
        "files ['.brain-run', '.gitignore', 'data', 'fit.py', 'onebrain.yml']"
    assert "Running entrypoint" not in log and "brain-metrics" not in log
    assert log in result.stderr  # streamed live (to stderr under --json)
    assert record["backend"] == "ray"
    assert record["status"] == "succeeded" and record["exit_code"] == 0
    assert record["metrics"] == {"loss": 0.09}
    ray = record["extra"]["ray"]
    assert ray == {"address": on_ray, "submission_id": f"brain-{record['id']}"}
    info = _client(on_ray).get_job_info(ray["submission_id"])
    assert info.runtime_env["env_vars"]["GREETING"] == "hello from the spec"

    shown = brain("runs", "show", record["id"])
    assert ray["submission_id"] in shown.stdout and "loss=0.09" in shown.stdout


def test_a_failing_job_fails_brain_with_its_exit_code(brain: Callable[..., Result], on_ray: str,
                                                      project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "-P", "code=5", "--backend", "ray")
    assert result.exit_code == 5, result.output
    assert "fit 0.5 fast hello from the spec" in result.stdout
    with RunStore() as store:
        [record] = store.list()
    assert (record.status, record.exit_code, record.metrics) == ("failed", 5, {})


def test_ctrl_c_stops_the_job(on_ray: str, project: Path) -> None:
    running = start_brain("run", str(project), "-e", "fit", "-P", "wait=300", "--backend", "ray")
    try:
        def sleeping() -> bool:
            with RunStore() as store:
                found = store.list()
            return bool(found) and "sleeping" in Path(str(found[0].stdout_log)).read_text()

        wait_for(sleeping, timeout=120, what="the job to print 'sleeping'")
        # hardware.cpu, reserved for the entrypoint; Ray's load report lags a few seconds
        wait_for(lambda: _cpus_in_use(on_ray) == 1.0, timeout=30,
                 what="the cluster to report the job's CPU in use")
        running.send_signal(signal.SIGINT)
        _, err = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()
    assert running.returncode == 130, err
    with RunStore() as store:
        [record] = store.list()
    assert record.status == "interrupted"
    from ray.job_submission import JobStatus

    status = _client(on_ray).get_job_status(record.extra["ray"]["submission_id"])
    assert status == JobStatus.STOPPED


def _cpus_in_use(address: str) -> float:
    import urllib.request

    with urllib.request.urlopen(f"{address}/api/cluster_status", timeout=10) as answer:
        data = json.loads(answer.read())["data"]
    return float(data["clusterStatus"]["loadMetricsReport"]["usage"]["CPU"][0])


def test_an_unreachable_cluster_is_exit_3(brain: Callable[..., Result], project: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAIN_RAY_ADDRESS", raising=False)
    address = f"http://127.0.0.1:{free_port()}"
    result = brain("run", str(project), "-e", "fit", "--backend", "ray", "--address", address)
    assert result.exit_code == 3
    assert f"cannot reach the Ray cluster at {address}" in result.stderr
    with RunStore() as store:
        assert store.count() == 0  # refused before anything was recorded


def test_a_bad_address_is_refused(brain: Callable[..., Result], project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "--backend", "ray", "--address",
                   "ftp://example.com/x")
    assert result.exit_code == 2
    assert "not a Ray dashboard address" in result.stderr


def test_more_resources_than_the_cluster_has_is_exit_3(brain: Callable[..., Result],
                                                        on_ray: str, project: Path) -> None:
    spec = project / "onebrain.yml"
    spec.write_text(spec.read_text().replace("hardware: {cpu: 1}", "hardware: {cpu: 64}"))
    result = brain("run", str(project), "-e", "fit", "--backend", "ray")
    assert result.exit_code == 3
    assert "out of resources: the job asks for 64 CPU" in result.stderr


def test_a_job_whose_environment_cannot_be_built_is_exit_3(
        brain: Callable[..., Result], on_ray: str, project: Path) -> None:
    spec = project / "onebrain.yml"
    closed = f"http://127.0.0.1:{free_port()}/simple"
    spec.write_text(spec.read_text().replace(
        "env:\n", f"env:\n  python: {{pip: [brain-no-such-package==1.0], index_url: {closed}}}\n",
        1))
    result = brain("run", str(project), "-e", "fit", "--backend", "ray")
    assert result.exit_code == 3, result.output
    assert "failed to start (RUNTIME_ENV_SETUP_FAILURE)" in result.stderr


def test_a_dry_run_shows_the_job_and_writes_nothing(brain: Callable[..., Result], on_ray: str,
                                                    project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "--backend", "ray", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    job = json.loads(json.loads(result.stdout)["argv"][-1])
    assert job["address"] == on_ray and job["resources"] == {"entrypoint_num_cpus": 1.0}
    assert not (project / "ray-job.json").exists()


def test_six_point_sweep_on_ray(brain: Callable[..., Result], on_ray: str,
                                project: Path) -> None:
    result = brain("run", str(project), "-e", "fit", "--backend", "ray", "--sweep",
                   "alpha=0.1,0.3,0.9", "--sweep", "mode=fast,full", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    runs = data["runs"]
    assert len(runs) == 6
    client = _client(on_ray)
    for run in runs:
        alpha, mode = run["parameters"]["alpha"], run["parameters"]["mode"]
        assert run["status"] == "succeeded" and run["backend"] == "ray"
        assert run["metrics"] == {"loss": round(alpha**2, 6)}
        lines = Path(run["stdout_log"]).read_text().splitlines()
        assert lines[0] == f"fit {alpha} {mode} hello from the spec"
        assert lines[2] == f"model [{str(alpha)!r}]"  # its own working copy
        assert client.get_job_info(run["extra"]["ray"]["submission_id"]).status == "SUCCEEDED"
    listed = brain("runs", "list", "--sweep", data["sweep"], "--json")
    assert len(json.loads(listed.stdout)) == 6
