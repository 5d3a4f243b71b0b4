"""The express run (brain.runs.express): a plain `brain run` on a ready environment, from the
card the last full run kept, records, logs, passes on and stops exactly as the full run does,
and gives way to the full run as soon as anything its card rests on changes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from brain import settled

SPEC = """\
name: express
version: 0.1.0
entry_points:
  main:
    type: python
    script: show.py
    parameters:
      n: {type: int, default: 1}
  fail:
    command: python -c "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"
  sleep:
    command: python -c "import time; print('up', flush=True); time.sleep(60)"
  tool:
    command: express-tool
  status:
    type: python
    script: status.py
  pause:
    command: python -c "import time; time.sleep(1.5)"
  loud:
    command: python -c "[print('y' * 99) for _ in range(1000)]"
env:
  variables:
    FROM_SPEC: "yes"
"""
SHOW = """\
import json, os, sys
print(json.dumps({name: os.environ.get(name) for name in (
    "BRAIN_RUN_ID", "BRAIN_RUN_DIR", "BRAIN_PROJECT_DIR", "VIRTUAL_ENV", "FROM_SPEC",
    "PYTHONUNBUFFERED", "PYTHONPATH")} | {"argv": sys.argv[1:], "cwd": os.getcwd(),
    "executable": sys.executable, "stdin": sys.stdin.read()}))
print("to stderr", file=sys.stderr)
"""
STATUS = """\
import os
lines = open("/proc/self/status").read().splitlines()
print([line for line in lines if line.startswith(("SigIgn", "SigBlk"))])
print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")))
"""
# What differs between any two runs; everything else in two records of one card is the same.
PER_RUN = {"id", "pid", "started_at", "ended_at", "duration", "stdout_log", "stderr_log",
           "stdout_tail"}  # the output shows the run id


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project({"onebrain.yml": SPEC, "show.py": SHOW, "status.py": STATUS})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    found["BRAIN_CACHE_DIR"] = str(tmp_path / "cache")  # cards of this test only
    found["PYTHONPATH"] = "/leaks/in"  # scrubbed for the child, by both paths
    return found


def brain(project: Path, env: dict[str, str], *args: str,
          trace: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if trace else []
    return subprocess.run([sys.executable, *flags, "-m", "brain", *args], cwd=project,
                          env=env, capture_output=True, text=True, check=False, stdin=None)


def expressed(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether a run traced with -X importtime went without the run core."""
    return "brain.runs.runner" not in done.stderr and "brain.runs.express" in done.stderr


def settle(project: Path, env: dict[str, str], *args: str) -> None:
    """A full run, then one that keeps its card once its files are no longer racy."""
    assert brain(project, env, "setup-deps").returncode == 0
    time.sleep(settled.RACY_SECONDS + 0.2)
    kept = brain(project, env, "run", *args)
    assert kept.returncode in (0, 3), kept.stderr


def record(project: Path, env: dict[str, str], run_id: str) -> dict[str, object]:
    shown = brain(project, env, "runs", "show", run_id, "--json")
    assert shown.returncode == 0, shown.stderr
    found: dict[str, object] = json.loads(shown.stdout)
    return found


def _plain_note(line: str) -> str:
    return re.sub(r"after [0-9.]+s", "after Ts", re.sub(r"run [0-9a-f]{16}", "run ID", line))


def run_id(done: subprocess.CompletedProcess[str]) -> str:
    first = next(line for line in done.stderr.splitlines() if line.startswith("brain: run "))
    return first.split()[2].rstrip(":")


def test_an_express_run_records_logs_and_passes_on_what_a_full_run_does(
        project: Path, env: dict[str, str]) -> None:
    settle(project, env, "-e", "main", "-P", "n=2")
    full = brain(project, env, "run", "-e", "main", "-P", "n=2", "--force")  # never expressed
    fast = brain(project, env, "run", "-e", "main", "-P", "n=2", trace=True)
    assert full.returncode == fast.returncode == 0, fast.stderr
    assert expressed(fast)
    seen_full, seen_fast = (json.loads(done.stdout) for done in (full, fast))
    for seen, done in ((seen_full, full), (seen_fast, fast)):
        assert seen["BRAIN_RUN_ID"] == run_id(done)
        assert seen["BRAIN_RUN_DIR"] == str(project / ".brain" / "runs" / run_id(done))
    assert {k: v for k, v in seen_fast.items() if not k.startswith("BRAIN_RUN")} == {
        k: v for k, v in seen_full.items() if not k.startswith("BRAIN_RUN")}
    assert seen_fast["PYTHONPATH"] is None and seen_fast["FROM_SPEC"] == "yes"
    assert seen_fast["VIRTUAL_ENV"] == str(project / ".brain" / "venv")
    assert "to stderr" in fast.stderr
    # The same notes, line for line but the ids and times.
    notes = [[_plain_note(line) for line in done.stderr.splitlines()
              if line.startswith("brain: run ")] for done in (full, fast)]
    assert notes[0] == notes[1]
    assert notes[1][0].startswith("brain: run ID: main (python): ")
    assert notes[1][1] == "brain: run ID succeeded after Ts (exit 0)"
    # The same record in the store, the logs where the record says.
    records = [record(project, env, run_id(done)) for done in (full, fast)]
    assert {k: v for k, v in records[1].items() if k not in PER_RUN} == {
        k: v for k, v in records[0].items() if k not in PER_RUN}
    assert records[1]["status"] == "succeeded" and records[1]["exit_code"] == 0
    logs = Path(str(records[1]["stdout_log"]))
    assert json.loads(logs.read_text()) == seen_fast
    assert Path(str(records[1]["stderr_log"])).read_text() == "to stderr\n"


def test_an_entry_points_exit_code_and_failure_are_passed_on(
        project: Path, env: dict[str, str]) -> None:
    settle(project, env, "-e", "fail")
    failed = brain(project, env, "run", "-e", "fail", trace=True)
    assert expressed(failed)
    assert failed.returncode == 3
    assert failed.stdout == "out\n" and "err" in failed.stderr
    assert record(project, env, run_id(failed))["status"] == "failed"


def _started(project: Path, env: dict[str, str], *flags: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, *flags, "-m", "brain", "run", "-e", "sleep"],
                             cwd=project, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "up\n"
    return child


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_express_run_stops_its_child_and_says_so(
        project: Path, env: dict[str, str], sent: int, code: int) -> None:
    assert brain(project, env, "setup-deps").returncode == 0
    time.sleep(settled.RACY_SECONDS + 0.2)
    full = _started(project, env)  # stopped too: its card is kept all the same
    full.send_signal(signal.SIGTERM)
    full.communicate(timeout=30)
    assert full.returncode == 143
    child = _started(project, env, "-X", "importtime")
    child.send_signal(sent)
    _, err = child.communicate(timeout=30)
    assert child.returncode == code
    assert "brain.runs.runner" not in err and "brain.runs.express" in err
    ended = record(project, env, run_id(subprocess.CompletedProcess([], 0, "", err)))
    assert ended["status"] == "interrupted"
    if sent == signal.SIGTERM:
        assert ended["exit_code"] == 143  # what brain exits with, as the full run records it
    assert "interrupted after" in err
    left = subprocess.run(["pgrep", "-f", "time.sleep\\(60\\)"], capture_output=True,
                          text=True, check=False)
    assert left.stdout == ""  # no child left running


@pytest.mark.parametrize("change", ["spec", "setting", "mlflow", "git", "clean", "params"])
def test_any_change_the_card_rests_on_runs_in_full(
        project: Path, env: dict[str, str], change: str) -> None:
    settle(project, env, "-e", "main")
    assert expressed(brain(project, env, "run", "-e", "main", trace=True))
    args = ["run", "-e", "main"]
    if change == "spec":
        with (project / "onebrain.yml").open("a") as spec:
            spec.write("# changed\n")
    elif change == "setting":
        env["BRAIN_STORE"] = f"sqlite:///{project.parent / 'other.db'}"
    elif change == "mlflow":
        env["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:9/"  # nothing listens: not linked
    elif change == "git":
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    elif change == "clean":
        assert brain(project, env, "clean").returncode == 0
    else:
        args += ["-P", "n=5"]
    again = brain(project, env, *args, trace=True)
    assert again.returncode == 0, again.stderr
    assert not expressed(again)
    if change == "git":
        assert record(project, env, run_id(again))["git"] != {
            "commit": None, "branch": None, "remote": None, "dirty": None}


def test_a_program_gone_since_the_card_fails_as_the_full_run_fails(
        project: Path, env: dict[str, str]) -> None:
    assert brain(project, env, "setup-deps").returncode == 0
    tool = project / ".brain" / "venv" / "bin" / "express-tool"
    tool.write_text("#!/bin/sh\necho tool ran\n")
    tool.chmod(0o755)
    time.sleep(settled.RACY_SECONDS + 0.2)
    assert brain(project, env, "run", "-e", "tool").stdout == "tool ran\n"
    assert expressed(done := brain(project, env, "run", "-e", "tool", trace=True))
    assert done.stdout == "tool ran\n"
    tool.unlink()
    gone = brain(project, env, "run", "-e", "tool", trace=True)
    assert expressed(gone)  # the program is looked up as it starts, as the full run does
    assert gone.returncode == 3
    assert "cannot run 'express-tool': command not found" in gone.stderr
    failed = record(project, env, run_id(gone))
    assert (failed["status"], failed["exit_code"]) == ("failed", 127)
    assert failed["extra"]["error"] == "cannot run 'express-tool': command not found"  # type: ignore[index]


def test_a_runs_folder_swapped_for_a_link_is_never_written_through(
        project: Path, env: dict[str, str], tmp_path: Path) -> None:
    settle(project, env, "-e", "main")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    runs = project / ".brain" / "runs"
    runs.rename(project / ".brain" / "runs-moved")
    runs.symlink_to(elsewhere)
    swapped = brain(project, env, "run", "-e", "main", trace=True)
    assert not expressed(swapped)
    assert swapped.returncode != 0
    assert list(elsewhere.iterdir()) == []


def test_in_a_git_repository_the_code_state_is_asked_of_git_on_every_run(
        project: Path, env: dict[str, str]) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)

    git("init", "-q")
    git("remote", "add", "origin", "https://jane:secret@example.com/team/express.git")
    git("add", "-A")
    git("commit", "-qm", "first")
    settle(project, env, "-e", "main")
    clean = brain(project, env, "run", "-e", "main", trace=True)
    assert expressed(clean), clean.stderr
    full = brain(project, env, "run", "-e", "main", "--force")
    states = [record(project, env, run_id(done))["git"] for done in (clean, full)]
    assert states[0] == states[1]
    assert states[0]["dirty"] is False and states[0]["branch"] == "main"
    assert states[0]["remote"] == "https://example.com/team/express.git"  # no password kept
    (project / "show.py").write_text(SHOW + "# changed\n")  # code, not a guarded input
    dirty = brain(project, env, "run", "-e", "main", trace=True)
    assert expressed(dirty)
    assert record(project, env, run_id(dirty))["git"]["dirty"] is True  # type: ignore[index]


def test_the_child_gets_default_signals_and_only_its_own_descriptors(
        project: Path, env: dict[str, str], tmp_path: Path) -> None:
    settle(project, env, "-e", "status")
    held = os.open(tmp_path / "lock", os.O_WRONLY | os.O_CREAT)  # as `9>lock` would hold it
    try:
        os.set_inheritable(held, True)
        seen = []
        for flags in (["-X", "importtime"], []):
            args = [sys.executable, *flags, "-m", "brain", "run", "-e", "status"]
            if not flags:
                args.append("--force")  # the full path, for comparison
            done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True,
                                  check=False, pass_fds=(held,))
            assert done.returncode == 0, done.stderr
            seen.append(done.stdout)
            if flags:
                assert expressed(done)
    finally:
        os.close(held)
    assert seen[0] == seen[1]
    assert str(held) not in seen[0].splitlines()[1].strip("[]").split(", ")


def test_a_spec_changed_while_its_run_went_on_keeps_no_card(
        project: Path, env: dict[str, str]) -> None:
    assert brain(project, env, "setup-deps").returncode == 0
    time.sleep(settled.RACY_SECONDS + 0.2)
    running = subprocess.Popen([sys.executable, "-m", "brain", "run", "-e", "pause"],
                               cwd=project, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)  # planned and started: the spec changes under it
    spec = project / "onebrain.yml"
    spec.write_text(spec.read_text().replace("time.sleep(1.5)", "time.sleep(0.1)"))
    running.communicate(timeout=60)
    assert running.returncode == 0
    again = brain(project, env, "run", "-e", "pause", trace=True)
    assert not expressed(again)
    assert record(project, env, run_id(again))["command"] == (
        'python -c "import time; time.sleep(0.1)"')


def test_a_working_directory_gone_runs_in_full(project: Path, env: dict[str, str],
                                               tmp_path: Path) -> None:
    settle(project, env, "-e", "main")
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f"cd {gone} && rmdir {gone} && exec {sys.executable} -m brain run {project} -e main"
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True,
                          check=False)
    assert "internal error" not in done.stderr
    assert done.returncode == 0, done.stderr


def test_a_user_name_no_store_can_keep_is_refused_as_the_full_run_refuses_it(
        project: Path, env: dict[str, str]) -> None:
    settle(project, env, "-e", "main")
    env["LOGNAME"] = "\udcff"  # the byte 0xff: not UTF-8
    done = brain(project, env, "run", "-e", "main", trace=True)
    assert not expressed(done)
    assert done.returncode == 2
    assert "not recorded" in done.stderr


def test_a_log_that_cannot_grow_stops_the_logging_not_the_run(
        project: Path, env: dict[str, str]) -> None:
    import resource

    settle(project, env, "-e", "loud")

    def small_files() -> None:  # brain's own files may not pass 20 kB (its logs included)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "brain", "run", "-e",
                           "loud"], cwd=project, env=env, capture_output=True, text=True,
                          check=False, preexec_fn=small_files)
    assert expressed(done)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("y" * 99) == 1000  # all of it shown
    logged = record(project, env, run_id(done))
    assert logged["status"] == "succeeded"
    assert os.path.getsize(str(logged["stdout_log"])) <= 20_000
