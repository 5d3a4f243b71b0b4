"""The light core install: a real venv with brain and no extras runs the main job, counts few
distributions, and a command that needs an extra says which one in one line (exit 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.extras import EXTRAS, MissingExtra, missing_modules, require_extra
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

CORE_DISTRIBUTIONS_AT_MOST = 30
SPEC = """\
name: light
version: 0.1.0
build_enabled: true
entry_points:
  main:
    command: python -c "print('ran on the core install')"
"""


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding `pip install -e .` of this checkout: the core, no extras (README cmd 1)."""
    from brain.envs.lock import uv_executable

    venv = tmp_path_factory.mktemp("core") / "venv"
    env = {**os.environ, "UV_CACHE_DIR": str(Path(os.environ.get(
        "BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache")) / "uv"), "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)
    uv = uv_executable()
    subprocess.run([uv, "venv", "--quiet", f"--python={sys.executable}", str(venv)],
                   env=env, check=True)
    subprocess.run([uv, "pip", "install", "--quiet", f"--python={venv / 'bin' / 'python'}",
                    "-e", str(REPO_ROOT)], env=env, check=True)
    return venv


def _brain(core: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    return subprocess.run([str(core / "bin" / "brain"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_core_install_holds_no_extra_and_few_distributions(core: Path) -> None:
    python = str(core / "bin" / "python")
    for modules in EXTRAS.values():
        for module in modules:
            absent = subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                                    check=False)
            assert absent.returncode != 0, f"{module} is in the core install"
    from brain.envs.lock import uv_executable

    listed = subprocess.run([uv_executable(), "pip", "list", f"--python={python}",
                             "--format=json"], capture_output=True, text=True, check=True)
    names = [row["name"] for row in json.loads(listed.stdout)]
    assert "brain-cli" in names
    assert len(names) <= CORE_DISTRIBUTIONS_AT_MOST, names


def test_the_main_job_runs_on_the_core_install(
        core: Path, make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": SPEC})
    assert _brain(core, project, "validate").returncode == 0
    ran = _brain(core, project, "run", "-e", "main")
    assert ran.returncode == 0, ran.stderr
    assert "ran on the core install" in ran.stdout
    listed = _brain(core, project, "runs", "list")
    assert listed.returncode == 0 and "main" in listed.stdout


@pytest.mark.parametrize(("args", "line"), [
    (("hub",), "error: brain hub needs the 'hub' extra: pip install 'brain-cli[hub]'"),
    (("publish",),
     "error: brain publish needs the 'publish' extra: pip install 'brain-cli[publish]'"),
    (("run", "-e", "main", "--backend", "docker"),
     "error: the docker backend needs the 'docker' extra: pip install 'brain-cli[docker]'"),
    (("build", "--docker"),
     "error: the docker backend needs the 'docker' extra: pip install 'brain-cli[docker]'"),
])
def test_a_command_needing_a_missing_extra_names_it_in_one_line(
        core: Path, make_project: Callable[..., Path], args: tuple[str, ...],
        line: str) -> None:
    project = make_project({"onebrain.yml": SPEC})
    result = _brain(core, project, *args)
    assert result.returncode == 3
    assert result.stderr.strip() == line
    assert "Traceback" not in result.stderr


def test_require_extra_passes_when_installed_and_names_the_extra_when_not() -> None:
    for extra in EXTRAS:  # the test install carries every extra (.[all,test])
        assert missing_modules(extra) == []
        require_extra(extra, "this test")
    EXTRAS["imaginary"] = ("brain_no_such_module",)
    try:
        with pytest.raises(MissingExtra) as raised:
            require_extra("imaginary", "brain imagine")
    finally:
        del EXTRAS["imaginary"]
    assert raised.value.exit_code == 3
    assert raised.value.message == ("brain imagine needs the 'imaginary' extra: "
                                    "pip install 'brain-cli[imaginary]'")


def test_hub_tokens_are_managed_on_the_core_install(
        core: Path, make_project: Callable[..., Path], tmp_path: Path) -> None:
    # Tokens live in the store, not in the hub's web stack: an admin makes them on a machine
    # (or in a shell) without the hub extra; serving still names the extra.
    project = make_project({"onebrain.yml": SPEC})
    made = _brain(core, project, "hub", "token", "create", "alice", "--role", "viewer",
                  "--json")
    assert made.returncode == 0, made.stderr
    assert len(json.loads(made.stdout)["token"]) >= 32
    listed = _brain(core, project, "hub", "token", "list")
    assert listed.returncode == 0 and "alice" in listed.stdout and "viewer" in listed.stdout
    assert _brain(core, project, "hub", "token", "revoke", "alice").returncode == 0
