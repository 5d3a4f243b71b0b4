"""`brain remote run` and `brain remote stop` against a real sshd: brain runs on the "remote"
(this worktree's brain, reached through the test sshd), the run is recorded on both sides."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.store import RunStore
from tests.conftest import Result
from tests.remote.conftest import Sshd

Brain = Callable[..., Result]
pytestmark = pytest.mark.slow


@pytest.fixture
def added(brain: Brain, sshd: Sshd, remote_folder: Path) -> Path:
    assert brain("remote", "add", "box", sshd.url(remote_folder)).exit_code == 0
    return remote_folder


def remote_records(sshd: Sshd) -> list[dict[str, object]]:
    """The remote brain's records, read as a user there would: through brain in the remote's
    home, which first syncs what its runs left in the local spool."""
    env = {**os.environ, "BRAIN_HOME": str(sshd.remote_home)}
    env.pop("BRAIN_STORE", None)
    listed = subprocess.run([sys.executable, "-m", "brain", "runs", "list", "--json",
                             "--limit", "1000"], env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    records: list[dict[str, object]] = json.loads(listed.stdout)
    return records


def test_run_there_records_here_and_pulls_back(brain: Brain, sshd: Sshd, added: Path,
                                              project: Path) -> None:
    result = brain("remote", "run", "box", "-e", "fit", "-P", "alpha=0.7", "--json",
                   cwd=project)
    assert result.exit_code == 0, result.output
    assert "fitted with alpha 0.7" in result.stderr  # streamed
    record = json.loads(result.stdout)
    assert record["backend"] == "ssh" and record["status"] == "succeeded"
    assert record["parameters"] == {"alpha": 0.7}
    remote = record["extra"]["remote"]
    assert remote["host"] == "127.0.0.1" and remote["path"] == str(added)
    assert remote["port"] == sshd.port
    # the remote brain recorded the run too, under the id the local record names
    there = {item["id"]: item for item in remote_records(sshd)}
    assert remote["run_id"] in there
    assert there[remote["run_id"]]["status"] == "succeeded"
    assert (added / "models" / "model.txt").read_text().startswith("alpha=0.7")
    shown = brain("runs", "show", record["id"], "--json", cwd=project)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["extra"]["remote"]["run_id"] == remote["run_id"]
    stored = RunStore().get(record["id"])
    assert stored.extra["remote"]["run_id"] == remote["run_id"]
    assert stored.origin == f"ssh://{sshd.user}@127.0.0.1:{sshd.port}{added}"
    # the output comes back with a pull
    assert not (project / "models").exists()
    assert brain("remote", "pull", "box", "models/model.txt", cwd=project).exit_code == 0
    assert (project / "models" / "model.txt").read_text().startswith("alpha=0.7")


def test_exit_code_passes_through(brain: Brain, added: Path, project: Path) -> None:
    result = brain("remote", "run", "box", "-e", "fail", cwd=project)
    assert result.exit_code == 7, result.output
    assert "failing" in result.stderr
    record = RunStore().list()[0]
    assert record.status == "failed" and record.exit_code == 7
    assert record.extra["remote"]["run_id"]


def test_bad_parameter_fails_before_anything_moves(brain: Brain, added: Path,
                                                   project: Path) -> None:
    result = brain("remote", "run", "box", "-e", "fit", "-P", "alpha=lots", cwd=project)
    assert result.exit_code == 2
    assert not added.exists()
    assert RunStore().list() == []


def test_hostile_parameter_value_stays_one_word(brain: Brain, added: Path,
                                                project: Path) -> None:
    project.joinpath("onebrain.yml").write_text(project.joinpath("onebrain.yml").read_text()
                                                + """  echo:
    type: shell
    command: python -c "import sys; print(repr(sys.argv[1:]))" {{ text }}
    parameters:
      text: {type: str}
""")
    hostile = "x'; touch /tmp/brain-pwned-$$; echo '$(id) `id` --entry=fail"
    result = brain("remote", "run", "box", "-e", "echo", "-P", f"text={hostile}",
                   cwd=project)
    assert result.exit_code == 0, result.output
    assert repr([hostile]) in result.stderr
    assert not list(Path("/tmp").glob("brain-pwned-*"))


def test_missing_brain_on_the_remote(brain: Brain, sshd: Sshd, remote_folder: Path,
                                     project: Path) -> None:
    url = sshd.url(remote_folder)
    assert brain("remote", "add", "box", url, "--brain", "/nowhere/brain").exit_code == 0
    result = brain("remote", "run", "box", "-e", "fit", cwd=project)
    assert result.exit_code == 3
    assert "'/nowhere/brain' is not on the PATH" in result.stderr
    assert "--brain /path/to/brain --replace" in result.stderr


def test_ctrl_c_stops_the_remote_run(sshd: Sshd, added: Path, project: Path,
                                     tmp_path: Path) -> None:
    env = {**os.environ, "BRAIN_SSH_CONFIG": str(sshd.client_config)}
    started = subprocess.Popen(
        [str(Path(sys.executable).parent / "brain"), "remote", "run", "box", "-e", "sleep"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid_file = added / "sleeper.pid"
    deadline = time.monotonic() + 240
    while not pid_file.exists():
        assert started.poll() is None, started.communicate()
        assert time.monotonic() < deadline, "the remote sleeper never started"
        time.sleep(0.1)
    sleeper = int(pid_file.read_text())
    started.send_signal(signal.SIGINT)
    _out, err = started.communicate(timeout=60)
    assert started.returncode == 130, err
    deadline = time.monotonic() + 15
    while Path(f"/proc/{sleeper}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{sleeper}").exists(), "the remote entry point still runs"
    local = RunStore().list()[0]
    assert local.status == "interrupted" and local.exit_code == 130
    there = {item["id"]: item for item in remote_records(sshd)}
    assert there[local.extra["remote"]["run_id"]]["status"] == "interrupted"


def test_stop_ends_what_brain_started(brain: Brain, sshd: Sshd, added: Path,
                                      project: Path) -> None:
    assert brain("remote", "stop", "box", cwd=project).stdout.startswith("nothing")
    assert brain("remote", "push", "box", cwd=project).exit_code == 0
    # a remote run left running (as when the laptop's brain was killed)
    (added / ".brain-remote").mkdir(parents=True)
    runner = subprocess.Popen(
        [str(Path(sys.executable).parent / "brain"), "run", "-e", "sleep"], cwd=added,
        env={**os.environ, "BRAIN_HOME": str(sshd.remote_home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    (added / ".brain-remote" / "run-test.pid").write_text(str(runner.pid))
    unrelated = subprocess.Popen(["sleep", "60"])
    (added / ".brain-remote" / "run-other.pid").write_text(str(unrelated.pid))
    try:
        result = brain("remote", "stop", "box", cwd=project)
        assert result.exit_code == 0, result.output
        assert f"stopped run-test (pid {runner.pid})" in result.stdout
        assert runner.wait(timeout=30) is not None
        assert unrelated.poll() is None  # not brain's: left alone
        assert not list((added / ".brain" / "remote").glob("*.pid"))
    finally:
        unrelated.kill()
        unrelated.wait()
        if runner.poll() is None:
            runner.kill()
