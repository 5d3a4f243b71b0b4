"""`brain run` with an MLflow tracking server: brain starts the MLflow run, the entry point's
own `mlflow.log_metric` lands in it, the run is tagged and ended with the run's outcome, and
brain's record names it. Against a real `mlflow server` (SQLite) and a project environment
with the real MLflow client."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.runs.store import RunStore
from tests.conftest import Result
from tests.mlflow_link.conftest import mlflow_run, rest
from tests.peer_tools import peer_version
from tests.run.conftest import build_environment, free_port, start_brain, wait_for, write_files

SPEC = """
name: wine-track
version: 0.1.0
entry_points:
  train:
    type: python
    script: train.py
    parameters:
      alpha: {{type: float, default: 0.5}}
      note: {{type: str, default: plain}}
  crash:
    type: python
    script: crash.py
  wait:
    type: python
    script: wait.py
  plain:
    type: python
    script: plain.py
env:
  python:
    pip: [mlflow-skinny=={version}]
"""
TRAIN = """
import argparse, os
given = os.environ["MLFLOW_RUN_ID"]  # read first: MLflow removes it once it resumed the run
import mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
parser.add_argument("--note")
args = parser.parse_args()
for step in range(3):
    mlflow.log_metric("rmse", args.alpha / (step + 1), step=step)
print("logged to", mlflow.active_run().info.run_id, "from", given)
"""
CRASH = """
import mlflow
mlflow.log_metric("progress", 1)
raise SystemExit(3)
"""
PLAIN = """
import os
print("MLFLOW_RUN_ID" in os.environ)
"""
WAIT = """
import os, time
from pathlib import Path
import mlflow
mlflow.log_metric("started", 1)
Path("child.pid.tmp").write_text(str(os.getpid()))
os.replace("child.pid.tmp", "child.pid")
time.sleep(120)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, module_home: None) -> Iterator[Path]:
    """A git project whose environment has the MLflow client of the server's version."""
    from tests.mlflow_link.conftest import mlflow_bin

    mlflow_bin()
    root = write_files(tmp_path_factory.mktemp("wine-track"), {
        "onebrain.yml": SPEC.format(version=peer_version("mlflow", "mlflow")),
        "train.py": TRAIN, "crash.py": CRASH, "wait.py": WAIT, "plain.py": PLAIN,
        ".gitignore": "child.pid\n"})
    build_environment(root)
    for argv in (["init", "-q"], ["add", "-A"], ["-c", "user.name=T", "-c",
                 "user.email=t@example.com", "commit", "-qm", "first"]):
        subprocess.run(["git", *argv], cwd=root, check=True, capture_output=True)
    yield root


def _commit(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.slow
def test_a_run_is_linked_tagged_and_finished(brain: Callable[..., Result], project: Path,
                                             mlflow_server: str, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    result = brain("run", str(project), "-e", "train", "-P", "alpha=0.8", "--no-setup")
    assert result.exit_code == 0, result.output
    record = RunStore().list()[0]
    linked = record.extra["mlflow"]
    assert linked["linked"] is True
    run_id = linked["run_id"]
    # The entry point's own mlflow calls resumed the run brain started.
    assert f"logged to {run_id} from {run_id}" in result.stdout
    assert f"brain: mlflow run {run_id}: {linked['url']}" in result.stderr
    found = mlflow_run(mlflow_server, run_id)
    assert found["info"]["status"] == "FINISHED"
    assert found["metrics"]["rmse"] == pytest.approx(0.8 / 3)  # the last step's value
    assert found["params"] == {"alpha": "0.8", "note": "plain"}
    tags = found["tags"]
    assert tags["brain.run_id"] == record.id
    assert tags["brain.project"] == "default/wine-track"
    assert tags["brain.entry_point"] == "train"
    assert tags["mlflow.source.git.commit"] == _commit(project) == record.git.commit
    assert tags["brain.commit"] == _commit(project)  # clean tree: no +dirty
    experiment = rest(mlflow_server, "experiments/get-by-name?experiment_name=wine-track")
    assert found["info"]["experiment_id"] == experiment["experiment"]["experiment_id"]
    # `runs show` names the MLflow run with a link the server answers.
    shown = brain("runs", "show", record.id)
    assert f"mlflow:      run {run_id} {mlflow_server}/#/experiments/" in shown.stdout
    with urllib.request.urlopen(linked["url"], timeout=10) as page:
        assert page.status == 200
    as_json = json.loads(brain("runs", "show", record.id, "--json").stdout)
    assert as_json["extra"]["mlflow"]["run_id"] == run_id


@pytest.mark.slow
def test_a_second_run_joins_the_same_experiment_from_the_setting(
        brain: Callable[..., Result], project: Path, mlflow_server: str, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert brain("config", "set", "mlflow_tracking_uri", mlflow_server).exit_code == 0
    for alpha in ("0.1", "0.2"):
        assert brain("run", str(project), "-e", "train", "-P", f"alpha={alpha}",
                     "--no-setup").exit_code == 0
    second, first = RunStore().list()[:2]
    one, two = (mlflow_run(mlflow_server, r.extra["mlflow"]["run_id"]) for r in (first, second))
    assert one["info"]["experiment_id"] == two["info"]["experiment_id"]
    assert (one["params"]["alpha"], two["params"]["alpha"]) == ("0.1", "0.2")
    assert one["info"]["run_id"] != two["info"]["run_id"]


@pytest.mark.slow
def test_a_failing_run_is_failed_in_mlflow(brain: Callable[..., Result], project: Path,
                                           mlflow_server: str, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    result = brain("run", str(project), "-e", "crash", "--no-setup")
    assert result.exit_code == 3
    linked = RunStore().list()[0].extra["mlflow"]
    found = mlflow_run(mlflow_server, linked["run_id"])
    assert found["info"]["status"] == "FAILED"
    assert found["metrics"] == {"progress": 1}


@pytest.mark.slow
def test_ctrl_c_ends_the_mlflow_run_as_killed(project: Path, mlflow_server: str,
                                              monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    (project / "child.pid").unlink(missing_ok=True)
    process = start_brain("run", str(project), "-e", "wait", "--no-setup")
    try:
        wait_for((project / "child.pid").exists, 60, "the entry point to start")
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    record = RunStore().list()[0]
    assert record.status == "interrupted"
    assert f"run {record.id} interrupted after" in err
    found = mlflow_run(mlflow_server, record.extra["mlflow"]["run_id"])
    assert found["info"]["status"] == "KILLED"
    assert found["metrics"] == {"started": 1}


@pytest.mark.slow
@pytest.mark.parametrize("uri", ["closed", "file:///tmp/mlruns"])
def test_an_unreachable_server_warns_and_the_run_still_happens(
        brain: Callable[..., Result], project: Path, monkeypatch, uri: str) -> None:
    if uri == "closed":
        uri = f"http://user:s3cret@127.0.0.1:{free_port()}"  # nobody listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    result = brain("run", str(project), "-e", "plain", "--no-setup")
    assert result.exit_code == 0, result.output
    assert result.stdout == "False\n"  # the entry point ran, with no MLflow run to resume
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert "the run goes on without an MLflow run" in warnings[0]
    assert "s3cret" not in result.output
    record = RunStore().list()[0]
    linked = record.extra["mlflow"]
    assert linked["linked"] is False
    assert "s3cret" not in json.dumps(record.as_dict())
    assert ("cannot reach the tracking server" if uri.startswith("http") else
            "is not an http(s) tracking server") in linked["error"]
    shown = brain("runs", "show", record.id).stdout
    assert "mlflow:      not linked: " in shown


def test_no_tracking_uri_means_no_link(brain: Callable[..., Result],
                                       make_project: Callable[..., Path], monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    root = make_project({"onebrain.yml": "name: plain\nversion: 0.1.0\nentry_points:\n"
                         "  main: {type: bash, command: 'echo hi'}\n"})
    assert brain("run", str(root), "-e", "main").exit_code == 0
    assert "mlflow" not in RunStore().list()[0].extra


def test_the_setting_takes_only_http_urls(brain: Callable[..., Result]) -> None:
    result = brain("config", "set", "mlflow_tracking_uri", "file:///tmp/mlruns")
    assert result.exit_code == 2
    assert "mlflow_tracking_uri 'file:///tmp/mlruns' is not an http(s) URL" in result.stderr


@pytest.mark.parametrize("uri", ["http://127.0.0.1:notaport", "http://", "databricks",
                                 "http://[::1", "ftp://127.0.0.1/"])
def test_odd_tracking_uris_leave_the_run_unlinked(brain: Callable[..., Result],
                                                  make_project: Callable[..., Path],
                                                  monkeypatch, uri: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    root = make_project({"onebrain.yml": "name: plain\nversion: 0.1.0\nentry_points:\n"
                         "  main: {type: bash, command: 'echo hi'}\n"})
    result = brain("run", str(root), "-e", "main")
    assert result.exit_code == 0, result.output
    assert result.stdout == "hi\n"
    assert RunStore().list()[0].extra["mlflow"]["linked"] is False


def test_the_authorization_header_is_what_mlflow_sends(monkeypatch) -> None:
    from brain.runs.mlflow_link import request_auth

    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert request_auth("http://127.0.0.1:5000") == {}
    assert request_auth("http://ada:p%40ss@127.0.0.1:5000") == {
        "Authorization": "Basic YWRhOnBAc3M="}  # base64 of ada:p@ss
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    assert request_auth("http://127.0.0.1:5000") == {"Authorization": "Basic Ym9iOnB3"}
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "t0ken")
    assert request_auth("http://127.0.0.1:5000") == {"Authorization": "Bearer t0ken"}


@given(st.text(max_size=60) | st.from_regex(r"https?://[^\s]{0,40}", fullmatch=True))
def test_any_tracking_uri_is_usable_or_one_link_failure(uri: str) -> None:
    from brain.runs.mlflow_link import LinkFailure, _Client

    try:
        _Client(uri)
    except LinkFailure as failure:
        assert "is not an http(s) tracking server" in str(failure)
