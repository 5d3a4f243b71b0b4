"""`brain setup-deps`, `brain lock`, `brain clean` with real uv (and pip) environments.

Packages come from PyPI (small pinned ones; the shared uv cache keeps reruns fast) or from a
real local index (tests/envs/conftest.py) when a build must be held midway.
"""

from __future__ import annotations

import contextlib
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

from brain.envs.identity import STAMP_NAME, quick_ready, read_stamp
from tests.conftest import Result
from tests.envs.conftest import LocalIndex, probe_spec, spec_text, venv_python

pytestmark = pytest.mark.slow

Brain = Callable[..., Result]


def _version(project: Path, module: str) -> str:
    completed = subprocess.run(
        [str(venv_python(project)), "-c", f"import {module}; print({module}.__version__ "
         f"if hasattr({module}, '__version__') else {module}.VERSION)"],
        capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def _setup(brain: Brain, project: Path, *args: str) -> dict[str, object]:
    result = brain("setup-deps", str(project), "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _compiled(project: Path, module: str) -> bool:
    """Whether the environment holds `module`'s bytecode (checked before anything imports it)."""
    site = next((project / ".brain" / "venv" / "lib").glob("python3*/site-packages"))
    return any([*site.glob(f"__pycache__/{module}.cpython-*.pyc"),
                *site.glob(f"{module}/__pycache__/__init__.cpython-*.pyc")])


def _builds(project: Path) -> list[str]:
    from brain.statefs import MARKER

    return sorted(path.name for path in (project / ".brain" / "envs").iterdir()
                  if path.name != MARKER)


def test_build_noop_and_rebuild_when_a_pin_changes(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==1.16.0"})})
    first = _setup(brain, project)
    assert first["changed"] is True
    assert _compiled(project, "six")  # compiled at install: fast under PYTHONDONTWRITEBYTECODE
    assert _version(project, "six") == "1.16.0"
    stamp_file = project / ".brain" / "venv" / STAMP_NAME
    stamp_mtime = stamp_file.stat().st_mtime_ns
    builds = _builds(project)

    second = _setup(brain, project)
    assert second["changed"] is False
    assert second["identity"] == first["identity"]
    assert stamp_file.stat().st_mtime_ns == stamp_mtime  # answered from the stamp, untouched
    assert _builds(project) == builds
    plain = brain("setup-deps", str(project))
    assert plain.stdout.startswith("environment up to date")

    (project / "onebrain.yml").write_text(spec_text({"six": "==1.15.0"}))
    third = _setup(brain, project)
    assert third["changed"] is True and third["identity"] != first["identity"]
    assert _version(project, "six") == "1.15.0"
    assert len(_builds(project)) == 1 and _builds(project) != builds  # the old build is gone


def test_a_cosmetic_spec_change_does_not_rebuild(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==1.16.0"})})
    first = _setup(brain, project)
    builds = _builds(project)
    (project / "onebrain.yml").write_text("# a comment\n" + spec_text({"six": "==1.16.0"}))
    assert quick_ready(project) is None  # the bytes changed...
    again = _setup(brain, project)
    assert again["changed"] is False and again["identity"] == first["identity"]
    assert _builds(project) == builds  # ...but the identity did not: no rebuild
    assert quick_ready(project) is not None  # and the next call is instant again


def test_lock_then_frozen_then_stale(brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==1.16.0", "attrs": "==23.2.0"})})
    missing = brain("setup-deps", str(project), "--frozen")
    assert missing.exit_code == 3
    assert "--frozen needs onebrain.lock" in missing.stderr

    locked = brain("lock", str(project), "--json")
    assert locked.exit_code == 0, locked.output
    assert json.loads(locked.stdout)["packages"] == ["attrs==23.2.0", "six==1.16.0"]
    text = (project / "onebrain.lock").read_text()
    assert "# requirements-sha256: " in text and "--hash=sha256:" in text
    assert "# via onebrain.yml" in text and ".brain" not in text

    built = _setup(brain, project, "--frozen")
    assert built["changed"] is True
    stamp = read_stamp(project / ".brain" / "venv")
    assert stamp is not None and stamp.lock_fresh
    assert _compiled(project, "attrs") and _compiled(project, "six")
    assert _version(project, "attrs") == "23.2.0"
    assert _setup(brain, project, "--frozen")["changed"] is False

    (project / "onebrain.yml").write_text(spec_text({"six": "==1.15.0", "attrs": "==23.2.0"}))
    stale = brain("setup-deps", str(project), "--frozen")
    assert stale.exit_code == 3
    assert "onebrain.lock is out of date" in stale.stderr
    assert "brain lock" in stale.stderr
    assert _version(project, "six") == "1.16.0"  # the ready environment was left alone

    relocked = _setup(brain, project)  # without --frozen: re-lock, then install the lock
    assert relocked["changed"] is True
    assert "six==1.15.0" in (project / "onebrain.lock").read_text()
    assert _version(project, "six") == "1.15.0"
    assert _setup(brain, project, "--frozen")["changed"] is False


def test_a_missing_python_version_lists_the_installed_ones(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==1.16.0"}, python="3.5")})
    result = brain("setup-deps", str(project))
    assert result.exit_code == 3
    assert "error: Python 3.5 is not installed on this machine (found: " in result.stderr
    assert f"{sys.version_info.major}.{sys.version_info.minor}." in result.stderr
    assert not (project / ".brain" / "venv").exists()


def test_the_pip_fallback_builds_a_working_environment(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==1.16.0"}, python="3.12")})
    result = _setup(brain, project, "--installer", "pip")
    assert result["changed"] is True
    stamp = read_stamp(project / ".brain" / "venv")
    assert stamp is not None and stamp.installer == "pip" and stamp.python.startswith("3.12.")
    assert _version(project, "six") == "1.16.0"
    assert (project / ".brain" / "venv" / "bin" / "pip").exists()  # virtualenv seeds pip


def test_an_unknown_version_fails_with_exit_3_and_leaves_nothing_ready(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==99.0.0"})})
    result = brain("setup-deps", str(project))
    assert result.exit_code == 3
    stderr = result.stderr
    assert "error: installing the dependencies failed:" in stderr
    assert "six==99.0.0" in stderr and "Traceback" not in stderr
    assert not (project / ".brain" / "venv").exists()
    assert _builds(project) == []  # the failed build was removed


def test_an_unreachable_index_fails_with_exit_3(
        brain: Brain, make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")  # uv's retries would only slow the test down
    project = make_project({"onebrain.yml": spec_text(
        {"brainprobe": "==1.0"}, extra="    index_url: http://127.0.0.1:9/simple\n")})
    result = brain("setup-deps", str(project))
    assert result.exit_code == 3
    assert "127.0.0.1:9" in result.stderr
    assert "hint: check env.python.pip" in result.stderr


@pytest.mark.parametrize("hostile", ["$(touch SENTINEL)", "`touch SENTINEL`",
                                     "six==1.16.0; touch SENTINEL", "six && touch SENTINEL"])
def test_hostile_requirements_never_reach_a_shell(
        brain: Brain, make_project: Callable[..., Path], hostile: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    in_spec = make_project({"onebrain.yml": spec_text([hostile])})
    assert brain("setup-deps", str(in_spec)).exit_code == 2
    in_file = make_project({"onebrain.yml": spec_text(extra="    requirements: req.txt\n"),
                            "req.txt": f"{hostile}\n"})
    assert brain("setup-deps", str(in_file)).exit_code == 3
    in_index = make_project({"onebrain.yml": spec_text(
        {"brainprobe": "==1.0"}, extra=f"    index_url: 'http://127.0.0.1:9/{hostile}'\n")})
    assert brain("setup-deps", str(in_index)).exit_code in (2, 3)
    for project in (in_spec, in_file, in_index):
        assert not (project / "SENTINEL").exists()
        assert not (project / ".brain" / "venv").exists()
    assert not Path("SENTINEL").exists()


def test_requirement_paths_are_never_read_as_options(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text(extra="    requirements: -rsix.txt\n"),
                            "-rsix.txt": "six==1.16.0\n"})
    _setup(brain, project)
    assert _version(project, "six") == "1.16.0"
    escaping = make_project({"onebrain.yml": spec_text(extra="    requirements: ../x.txt\n")})
    result = brain("setup-deps", str(escaping))
    assert result.exit_code == 2
    assert "inside the project" in result.stderr


def test_a_broken_environment_is_rebuilt(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex) -> None:
    project = make_project({"onebrain.yml": probe_spec(local_index)})
    _setup(brain, project)
    venv_python(project).unlink()  # e.g. its base interpreter was uninstalled
    assert quick_ready(project) is None
    assert _setup(brain, project)["changed"] is True
    assert _version(project, "brainprobe") == "1.0"


def test_clean_removes_the_environment(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex) -> None:
    project = make_project({"onebrain.yml": probe_spec(local_index)})
    _setup(brain, project)
    (project / ".brain" / "logs").mkdir()
    result = brain("clean", str(project), "--json")
    assert result.exit_code == 0
    removed = json.loads(result.stdout)["removed"]
    assert sorted(Path(path).name for path in removed) == ["envs", "venv"]
    assert not (project / ".brain" / "venv").exists()
    assert (project / ".brain" / "logs").exists()
    assert brain("clean", str(project)).stdout.startswith("nothing to remove")
    from brain.envs.identity import plan_path

    assert plan_path(project).exists()
    refused = brain("clean", str(project), "--all")  # `logs` was made by hand, not by brain
    assert refused.exit_code == 3
    assert f"remove {project / '.brain' / 'logs'}: brain did not create it" in refused.stderr
    assert (project / ".brain" / "logs").is_dir() and plan_path(project).exists()
    (project / ".brain" / "logs").rmdir()
    assert brain("clean", str(project), "--all").exit_code == 0
    assert sorted(path.name for path in (project / ".brain").iterdir()) == [
        ".brain-state", ".gitignore", "lock"]
    assert not plan_path(project).exists()
    (project / "onebrain.yml").unlink()
    assert brain("clean", str(project)).exit_code == 2


def test_invocation_runs_inside_the_venv_with_a_scrubbed_environment(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from brain.envs.select import environment_for
    from brain.spec.loader import load_project

    project = make_project({"onebrain.yml": probe_spec(local_index)})
    environment = environment_for(load_project(project))
    result = environment.ensure()
    assert result.changed and environment.is_ready()
    monkeypatch.setenv("PYTHONPATH", "/leak")
    invocation = environment.invocation(
        ["python", "-c", "import os, sys, brainprobe; print(sys.prefix, "
         "os.environ.get('PYTHONPATH'), os.environ['GREETING'], brainprobe.VERSION, sep='|')"],
        {"GREETING": "hello world"})
    assert invocation.env["VIRTUAL_ENV"] == str(project / ".brain" / "venv")
    completed = subprocess.run(invocation.argv, env=invocation.env, capture_output=True,
                               text=True, check=True)
    prefix, pythonpath, greeting, version = completed.stdout.strip().split("|")
    assert Path(prefix).resolve() == (project / ".brain" / "venv").resolve()
    assert (pythonpath, greeting, version) == ("None", "hello world", "1.0")


def _start(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "brain", "setup-deps", str(project), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_a_killed_setup_deps_leaves_nothing_ready_and_the_next_one_recovers(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex) -> None:
    project = make_project({"onebrain.yml": probe_spec(local_index)})
    local_index.hold.set()  # the index stops answering: the install is caught midway
    child = _start(project)
    try:
        _wait_for(lambda: bool(local_index.requests))  # uv is downloading
        time.sleep(0.3)
        os.kill(child.pid, signal.SIGKILL)  # brain only: its uv child lives on, orphaned
        child.wait()
        assert child.returncode == -signal.SIGKILL
        assert not (project / ".brain" / "venv").exists()
        builds = list((project / ".brain" / "envs").iterdir())
        assert builds and not any((build / STAMP_NAME).exists() for build in builds)
        assert quick_ready(project) is None

        local_index.release.set()
        local_index.hold.clear()
        recovered = _setup(brain, project)
        assert recovered["changed"] is True
        assert _version(project, "brainprobe") == "1.0"
        current = (project / ".brain" / "venv").resolve()
        assert current.name not in {build.name for build in builds}
        assert quick_ready(project) is not None
    finally:
        local_index.release.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # the orphaned uv, if still there


def test_two_setup_deps_at_once_one_waits_both_succeed_one_environment(
        make_project: Callable[..., Path], local_index: LocalIndex) -> None:
    project = make_project({"onebrain.yml": probe_spec(local_index)})
    local_index.delay = 0.5  # each index answer takes a while: the first build is slow
    first = _start(project, "--json")
    lock = project / ".brain" / "lock"
    _wait_for(lambda: lock.exists() and f'"pid": {first.pid}' in lock.read_text())
    second = _start(project, "--json")
    out_first, err_first = first.communicate(timeout=120)
    out_second, err_second = second.communicate(timeout=120)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    assert f"waiting for `brain setup-deps` (pid {first.pid}" in err_second
    one, two = json.loads(out_first), json.loads(out_second)
    assert one["changed"] is True and two["changed"] is False
    assert one["identity"] == two["identity"]
    assert len(_builds(project)) == 1
    assert _version(project, "brainprobe") == "1.0"


_ENSURE = """
import json, sys
from pathlib import Path
from brain.envs.select import ensure_environment
result = ensure_environment(Path(sys.argv[1]))
print(json.dumps({"changed": result.changed, "spec_loaded": "pydantic" in sys.modules}))
"""


def _ensure_in_subprocess(project: Path) -> dict[str, bool]:
    completed = subprocess.run([sys.executable, "-c", _ENSURE, str(project)],
                               capture_output=True, text=True, check=True)
    data: dict[str, bool] = json.loads(completed.stdout)
    return data


def test_a_rebuild_of_known_inputs_skips_the_spec_but_never_uses_a_stale_plan(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex) -> None:
    project = make_project({
        "onebrain.yml": spec_text(extra=f"    requirements: req.txt\n"
                                  f"    index_url: {local_index.url}\n"),
        "req.txt": "brainprobe==1.0\n"})
    assert _ensure_in_subprocess(project) == {"changed": True, "spec_loaded": True}
    assert _ensure_in_subprocess(project) == {"changed": False, "spec_loaded": False}
    assert brain("clean", str(project)).exit_code == 0
    # Same bytes as a build that succeeded: the cached plan stands in for the spec.
    assert _ensure_in_subprocess(project) == {"changed": True, "spec_loaded": False}
    assert _version(project, "brainprobe") == "1.0"

    assert brain("clean", str(project)).exit_code == 0
    (project / "req.txt").write_text("brainprobe==2.0\n")  # a tracked file changed: plan is stale
    assert _ensure_in_subprocess(project) == {"changed": True, "spec_loaded": True}
    assert _version(project, "brainprobe") == "2.0"


_HOLD_LOCK = """
import sys, time
from pathlib import Path
from brain.envs.locking import ProjectLock
with ProjectLock(Path(sys.argv[1]), command="brain lock"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_busy_project_exits_4_naming_the_owner(
        brain: Brain, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text({"six": "==1.16.0"})})
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(project / ".brain/lock")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = brain("setup-deps", str(project), "--wait", "0.3")
        assert result.exit_code == 4
        assert f"`brain lock` (pid {holder.pid}" in result.stderr
        assert not (project / ".brain" / "venv").exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_failed_relock_keeps_the_old_lock_whole(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project({"onebrain.yml": probe_spec(local_index)})
    assert brain("lock", str(project)).exit_code == 0
    before = (project / "onebrain.lock").read_text()
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    (project / "onebrain.yml").write_text(spec_text(
        {"brainprobe": "==3.0"}, extra=f"    index_url: {local_index.url}\n"))
    result = brain("lock", str(project))
    assert result.exit_code == 3
    assert "resolving the dependencies failed" in result.stderr
    assert "brainprobe==3.0" in result.stderr
    assert (project / "onebrain.lock").read_text() == before
    assert sorted(p.name for p in (project / ".brain").iterdir()) == [
        ".brain-state", ".gitignore", "lock"]  # no scraps


def test_outside_a_project_setup_deps_exits_2(brain: Brain, tmp_path: Path) -> None:
    result = brain("setup-deps", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no onebrain.yml" in result.stderr
    missing = brain("setup-deps", str(tmp_path / "nope"))
    assert missing.exit_code == 2


def test_the_pip_fallback_installs_a_lock_with_its_hashes(
        brain: Brain, make_project: Callable[..., Path], local_index: LocalIndex) -> None:
    project = make_project({"onebrain.yml": probe_spec(local_index, "2.0")})
    assert brain("lock", str(project)).exit_code == 0
    result = _setup(brain, project, "--installer", "pip", "--frozen")
    assert result["changed"] is True
    stamp = read_stamp(project / ".brain" / "venv")
    assert stamp is not None and stamp.installer == "pip" and stamp.lock_fresh
    assert _version(project, "brainprobe") == "2.0"
    # A tampered lock (a hash that does not match) is refused by pip, exit 3.
    lock = project / "onebrain.lock"
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, lock.read_text()))
    assert brain("clean", str(project)).exit_code == 0
    tampered = brain("setup-deps", str(project), "--installer", "pip", "--frozen")
    assert tampered.exit_code == 3
    assert "hash" in tampered.stderr.lower()
