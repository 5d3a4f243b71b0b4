"""Family 6 of the trust boundary: signals and pipes, with brain as a real process.

SIGTERM and SIGHUP give 128+signal in the exit code and in the run record; a reader that
closes brain's stdout (`| head -1`) never turns a success into a failure; a `setup-deps`
killed mid-install (even by SIGKILL) leaves no installer running and nothing that looks
ready, and the next start cleans what it left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.runs.store import RunStore
from tests.run.conftest import (
    REPO_ROOT,
    SLEEP_SCRIPT,
    build_environment,
    process_gone,
    start_brain,
    wait_for,
)

SPEC = """
name: signals
version: 0.1.0
entry_points:
  sleep:
    type: shell
    command: python sleeper.py 60
  many:
    type: shell
    command: python -c "[print('line', i) for i in range(200000)]"
  fails loudly:
    type: shell
    command: python -c "import sys; [print('line', i) for i in range(20000)]; sys.exit(3)"
"""

# A package whose build backend (run by the installer, a grandchild of brain) records its pid
# and waits, then builds a real wheel: an install that can be caught midway.
BACKEND = '''
import base64, hashlib, os, time, zipfile
from pathlib import Path

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    Path(os.environ["SLOW_PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("SLOW_SECONDS", "0")))
    name = "slowpkg-1.0-py3-none-any.whl"
    info = "slowpkg-1.0.dist-info/"
    files = {"slowpkg.py": b"VERSION = '1.0'\\n",
             info + "METADATA": b"Metadata-Version: 2.1\\nName: slowpkg\\nVersion: 1.0\\n",
             info + "WHEEL": (b"Wheel-Version: 1.0\\nGenerator: test\\n"
                              b"Root-Is-Purelib: true\\nTag: py3-none-any\\n")}
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append("slowpkg-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr("slowpkg-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return name
'''
PYPROJECT = """
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "slowpkg"
version = "1.0"
"""
TAG = b"BRAIN_BUILD_FOLDER="


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project({"onebrain.yml": SPEC, "sleeper.py": SLEEP_SCRIPT})
    build_environment(root)
    return root


@pytest.fixture
def slow_project(make_project: Callable[..., Path], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "slowpkg"
    package.mkdir()
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "backend.py").write_text(BACKEND)
    monkeypatch.setenv("SLOW_PID_FILE", str(tmp_path / "backend.pid"))
    spec = ("name: slow\nversion: 0.1.0\nentry_points:\n  main:\n    command: python -c pass\n"
            "env:\n  python:\n    version: \"3.11\"\n"
            f"    pip: [\"slowpkg @ {package.as_uri()}\"]\n")
    return make_project({"onebrain.yml": spec})


def _child_pid(root: Path, brain: subprocess.Popen[str]) -> int:
    pid_file = root / "child.pid"
    wait_for(lambda: pid_file.exists() or brain.poll() is not None, what="the child to start")
    assert brain.poll() is None, brain.communicate()
    return int(pid_file.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_termination_gives_128_plus_signal_in_exit_code_and_record(
        project: Path, sig: signal.Signals) -> None:
    brain = start_brain("run", str(project), "-e", "sleep", "--no-setup")
    child = _child_pid(project, brain)
    brain.send_signal(sig)
    _, err = brain.communicate(timeout=30)
    assert brain.returncode == 128 + sig, err
    assert process_gone(child)
    record = RunStore().list()[0]
    assert record.status == "interrupted"
    assert record.exit_code == 128 + sig  # the record agrees with the exit code
    assert f"(exit {128 + sig})" in err


# Readers that leave: `head -1` after one line, and one that closes its end before brain
# writes anything (so that every write brain makes meets a closed pipe).
HEAD = "head -1"
GONE = "(exec 0<&-; sleep 1)"


def _piped(command: str, cwd: Path, reader: str = HEAD) -> tuple[list[int], str]:
    """`command | reader` in a real shell: each side's exit status, and all output."""
    script = f"{command} | {reader}; echo \"status ${{PIPESTATUS[*]}}\" >&2"
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    statuses = done.stderr.strip().splitlines()[-1].removeprefix("status ").split()
    return [int(code) for code in statuses], done.stdout + done.stderr


def _brain_command(*args: str) -> str:
    import shlex

    return " ".join(shlex.quote(part) for part in (sys.executable, "-m", "brain", *args))


@pytest.mark.slow
def test_a_closed_stdout_never_fails_a_successful_run(project: Path) -> None:
    statuses, output = _piped(_brain_command("run", str(project), "-e", "many", "--no-setup"),
                              project)
    assert statuses == [0, 0], output
    assert output.startswith("line 0\n")
    assert "Traceback" not in output and "Exception ignored" not in output
    record = RunStore().list()[0]
    assert record.status == "succeeded" and record.exit_code == 0
    # The reader went away, the log did not: every line is kept.
    assert Path(str(record.stdout_log)).read_text().count("\n") == 200000


@pytest.mark.slow
def test_a_closed_stdout_keeps_the_exit_code_of_a_failed_run(project: Path) -> None:
    for reader in (HEAD, GONE):
        statuses, output = _piped(_brain_command("run", str(project), "-e", "fails loudly",
                                                 "--no-setup", "--json"), project, reader)
        assert statuses[0] == 3, output  # the entry point's own code, not 0 and not 1
        assert "Exception ignored" not in output and "Traceback" not in output
    assert {record.exit_code for record in RunStore().list()} == {3}


@pytest.mark.parametrize("reader", [HEAD, GONE], ids=["head", "closed"])
@pytest.mark.parametrize("args", [("--help",), ("runs", "list"), ("schema",), ("info",)],
                         ids=["help", "runs-list", "schema", "info"])
def test_a_closed_stdout_never_fails_a_listing(project: Path, args: tuple[str, ...],
                                               reader: str) -> None:
    statuses, output = _piped(_brain_command(*args), project, reader)
    assert statuses[0] == 0, output
    assert "Traceback" not in output and "Exception ignored" not in output


def _tagged(root: Path) -> list[int]:
    """Processes whose environment names a build folder of `root` (the installer's tag)."""
    prefix = TAG + str(root / ".brain" / "envs").encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(item.startswith(prefix) for item in environ) and not process_gone(int(entry)):
            found.append(int(entry))
    return found


def _start_slow_setup(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[
        subprocess.Popen[str], int]:
    monkeypatch.setenv("SLOW_SECONDS", "120")
    pid_file = Path(os.environ["SLOW_PID_FILE"])
    brain = start_brain("setup-deps", str(root))
    wait_for(lambda: pid_file.exists() or brain.poll() is not None, timeout=120,
             what="the build backend to start")
    assert brain.poll() is None, brain.communicate()
    backend = int(pid_file.read_text())
    assert backend in _tagged(root)  # the backend, grandchild of brain, carries the tag
    return brain, backend


def _builds(root: Path) -> list[str]:
    envs = root / ".brain" / "envs"
    return sorted(path.name for path in envs.iterdir() if path.name.startswith("venv-"))


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_setup_deps_leaves_no_installer_and_nothing_ready(
        slow_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    brain, backend = _start_slow_setup(slow_project, monkeypatch)
    brain.kill()  # SIGKILL: brain cannot clean up anything itself
    brain.communicate(timeout=30)
    wait_for(lambda: process_gone(backend) and not _tagged(slow_project), timeout=15,
             what="the installer and its build backend to die with brain")
    assert not os.path.lexists(slow_project / ".brain" / "venv")  # nothing looks ready
    (left,) = _builds(slow_project)
    assert not (slow_project / ".brain" / "envs" / left / "brain-stamp.json").exists()

    monkeypatch.setenv("SLOW_SECONDS", "0")
    done = subprocess.run([sys.executable, "-m", "brain", "setup-deps", str(slow_project)],
                          capture_output=True, text=True, timeout=300, check=False,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert _builds(slow_project) != [left] and len(_builds(slow_project)) == 1
    python = slow_project / ".brain" / "venv" / "bin" / "python"
    assert subprocess.run([python, "-c", "import slowpkg"], check=False).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_terminated_setup_deps_exits_143_and_removes_its_build(
        slow_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    brain, backend = _start_slow_setup(slow_project, monkeypatch)
    brain.send_signal(signal.SIGTERM)
    _, err = brain.communicate(timeout=60)
    assert brain.returncode == 143, err
    assert "Traceback" not in err
    wait_for(lambda: process_gone(backend) and not _tagged(slow_project), timeout=15,
             what="the installer group to be stopped")
    assert _builds(slow_project) == []  # removed at once, not left for the next start
    assert not os.path.lexists(slow_project / ".brain" / "venv")
