"""Running entry points in the project image against the real daemon: `docker run IMAGE ...`
without brain, and `brain run --backend docker` with limits, ports, Ctrl-C and cleanup."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import BASE_IMAGE, NAMESPACE, containers_of, environment_of, spec_text

from brain.spec.loader import load_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

NAME = "runner"
ENTRIES = """\
  echo:
    type: bash
    command: printf '%s\\n' {{ text }}; test -e /tmp/pwned && echo PWNED || echo SAFE
    parameters:
      text: {type: str}
  exit:
    type: bash
    command: exit {{ code }}
    parameters:
      code: {type: int, default: 0}
  variables:
    type: shell
    command: python -c "import os, sys; print(os.environ['GREETING'], os.getcwd(), sys.prefix)"
  sleep:
    type: python
    script: src/sleeper.py
  serve:
    type: app
    command: python -m http.server {{ port }} --bind 0.0.0.0
    parameters:
      port: {type: int, default: 8000}
  missing:
    command: no-such-command-xyz
"""
SLEEPER = "import time\nprint('started', flush=True)\ntime.sleep(300)\n"
HOSTILE = ["$(touch /tmp/pwned)", "; touch /tmp/pwned", "' ; touch /tmp/pwned; '",
           '"; touch /tmp/pwned #', "`touch /tmp/pwned`", "a && touch /tmp/pwned",
           "it's \"quoted\""]


@pytest.fixture(scope="module")
def image(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The runner project's image, built once for the module."""
    root = tmp_path_factory.mktemp("image") / NAME
    (root / "src").mkdir(parents=True)
    (root / "src/sleeper.py").write_text(SLEEPER)
    (root / "onebrain.yml").write_text(spec_text(NAME, ENTRIES, extra=(
        "env: {variables: {GREETING: hello}}\nhardware: {cpu: 0.5, memory: 256Mi}\n")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRAIN_DOCKER_BASE_IMAGE", BASE_IMAGE)
        result = environment_of(root).build()
    yield result.image_id


@pytest.fixture
def project(image: str, make_project: Callable[..., Path]) -> Path:
    """The same project as the image's, for `brain run` (which finds the image by identity)."""
    root = make_project({"onebrain.yml": spec_text(NAME, ENTRIES, extra=(
        "env: {variables: {GREETING: hello}}\nhardware: {cpu: 0.5, memory: 256Mi}\n")),
        "src/sleeper.py": SLEEPER}, name=NAME)
    return root


def docker_run(client: Any, image: str, *args: str) -> tuple[int, str]:
    """`docker run --rm IMAGE args...` through the SDK: (exit code, output)."""
    container = client.containers.create(image, list(args))
    try:
        container.start()
        code = int(container.wait(timeout=120)["StatusCode"])
        return code, container.logs().decode()
    finally:
        container.remove(force=True)


def test_help_in_the_image(docker_client: Any, image: str) -> None:
    code, output = docker_run(docker_client, image, "--help")
    assert code == 0
    for line in ("echo (bash)", "exit (bash)", "serve (app)", "-P code  int, default 0"):
        assert line in output


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_reach_the_program_verbatim(docker_client: Any, image: str,
                                                   value: str) -> None:
    code, output = docker_run(docker_client, image, "echo", "-P", f"text={value}")
    assert code == 0, output
    assert output.splitlines() == [value, "SAFE"]


def test_option_like_values_are_refused_in_the_image(docker_client: Any, image: str) -> None:
    """A text value starting with '-' would be an option of the command: the image's
    dispatcher refuses it as brain run does (exit 2), and the entry point never runs."""
    code, output = docker_run(docker_client, image, "echo", "-P", "text=--text=x")
    assert code == 2, output
    assert "cannot begin with '-'" in output and "SAFE" not in output


def test_exit_code_passes_through_docker_run(docker_client: Any, image: str) -> None:
    assert docker_run(docker_client, image, "exit", "-P", "code=42")[0] == 42


def test_bad_parameter_in_the_image_is_exit_2(docker_client: Any, image: str) -> None:
    code, output = docker_run(docker_client, image, "exit", "-P", "code=abc")
    assert code == 2
    assert "parameter 'code': expected a whole number, got 'abc'" in output


def test_brain_run_passes_exit_code_and_records_the_image(
        docker_client: Any, image: str, project: Path, brain: Callable[..., Any]) -> None:
    result = brain("run", "--backend", "docker", "-e", "exit", "-P", "code=42", cwd=project)
    assert result.exit_code == 42, result.output
    listed = json.loads(brain("runs", "list", "--json").stdout)
    assert listed[0]["backend"] == "docker" and listed[0]["exit_code"] == 42
    # The run names the image it ran in (the module's image, or a newer build of the same
    # project when brain's own source changed in between).
    label = f"brain.identity={listed[0]['env_identity']}"
    assert docker_client.images.list(filters={"label": label})
    assert containers_of(docker_client, NAME) == []


@pytest.mark.parametrize("value", HOSTILE[:4])
def test_brain_run_hostile_values(docker_client: Any, image: str, project: Path,
                                  brain: Callable[..., Any], value: str) -> None:
    result = brain("run", "--backend", "docker", "-e", "echo", "-P", f"text={value}",
                   cwd=project)
    assert result.exit_code == 0, result.output
    assert f"{value}\nSAFE\n" in result.stdout


def test_brain_run_sets_variables_and_runs_in_the_image(
        image: str, project: Path, brain: Callable[..., Any]) -> None:
    result = brain("run", "--backend", "docker", "-e", "variables", cwd=project)
    assert result.exit_code == 0, result.output
    assert "hello /app /opt/venv" in result.stdout


def test_command_not_found_is_127_and_leaves_nothing(
        docker_client: Any, image: str, project: Path, brain: Callable[..., Any]) -> None:
    result = brain("run", "--backend", "docker", "-e", "missing", cwd=project)
    assert result.exit_code == 127
    assert "exec no-such-command-xyz failed: No such file or directory" in result.output
    assert containers_of(docker_client, NAME) == []


def _default_sigint() -> None:
    """In the child: Ctrl-C as in a fresh terminal, whatever the test runner set."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_container(client: Any, name: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in containers_of(client, name) if c.status == "running"]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no running container of {name} within {timeout}s")


def _line_with(stream: Any, text: str, timeout: float) -> str:
    """The first line of `stream` holding `text`, or "" if none came within `timeout`."""
    found: list[str] = []

    def read() -> None:
        for line in stream:
            if text in line:
                found.append(line)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else ""


def test_limits_applied_and_ctrl_c_removes_the_container(
        docker_client: Any, image: str, project: Path) -> None:
    # The real user path: `brain run` as its own process, interrupted like a terminal would.
    brain_run = subprocess.Popen(
        [sys.executable, "-m", "brain", "run", "--backend", "docker", "-e", "sleep"],
        cwd=project, env={**os.environ, "BRAIN_DOCKER_BASE_IMAGE": BASE_IMAGE},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    try:
        container = _wait_for_container(docker_client, NAME)
        host = container.attrs["HostConfig"]
        assert host["NanoCpus"] == 500_000_000
        assert host["Memory"] == 256 * 2**20
        assert host["Init"] is True
        assert container.attrs["Config"]["WorkingDir"] == "/app"
        # A user presses Ctrl-C after seeing the entry point start, not when the container
        # merely exists (Python in the container may not have printed yet).
        assert _line_with(brain_run.stdout, "started", timeout=60)
        brain_run.send_signal(signal.SIGINT)
        _, err = brain_run.communicate(timeout=30)
    finally:
        if brain_run.poll() is None:
            brain_run.kill()
    assert brain_run.returncode == 130, err
    assert containers_of(docker_client, NAME) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_app_answers_on_its_published_port(docker_client: Any, image: str,
                                           project: Path) -> None:
    from brain.runs.plan import plan_run

    port = _free_port()
    plan = plan_run(load_project(project), "serve", {"port": str(port)})
    environment = environment_of(project)
    environment.ensure()
    assert environment.is_ready()
    invocation = environment.invocation(list(plan.argv), dict(plan.variables), ports=[port])
    helper = subprocess.Popen(invocation.argv, env=invocation.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    assert answer.status == 200
                    assert b"onebrain.yml" in answer.read()  # the code baked into /app
                    break
            except OSError:
                assert time.monotonic() < deadline, "the app never answered"
                assert helper.poll() is None, helper.communicate()
                time.sleep(0.3)
        helper.send_signal(signal.SIGINT)
        helper.wait(timeout=30)
    finally:
        if helper.poll() is None:
            helper.kill()
    assert helper.returncode == 130
    assert containers_of(docker_client, NAME) == []


def test_gpu_request_without_gpus_fails_cleanly(
        docker_client: Any, make_project: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project({"onebrain.yml": spec_text("gpu", "  hi: {command: echo hi}\n",
                                                   extra="hardware: {gpu: 1}\n")})
    environment = environment_of(root)
    environment.ensure()
    invocation = environment.invocation(["echo", "hi"], {})
    done = subprocess.run(invocation.argv, env=invocation.env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 127
    assert "hardware.gpu=1 needs the NVIDIA container toolkit" in done.stderr
    assert containers_of(docker_client, "gpu") == []


def test_push_to_a_registry(docker_client: Any, git_project: Callable[..., Path],
                            brain: Callable[..., Any], tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(f"version: 0.1\nstorage: {{filesystem: {{rootdirectory: {tmp_path}/data}}}}"
                      f"\nhttp: {{addr: '127.0.0.1:{port}'}}\n")
    registry = subprocess.Popen(["docker-registry", "serve", str(config)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        root = git_project({"onebrain.yml": spec_text("pushed", "  hi: {command: echo hi}\n")})
        result = brain("build", "--docker", "--push", f"127.0.0.1:{port}", "--json", str(root))
        assert result.exit_code == 0, result.output
        pushed = json.loads(result.stdout)["docker"]["pushed"]
        assert f"127.0.0.1:{port}/{NAMESPACE}/pushed:0.1.0" in pushed
        url = f"http://127.0.0.1:{port}/v2/{NAMESPACE}/pushed/tags/list"
        with urllib.request.urlopen(url, timeout=10) as answer:
            tags = json.loads(answer.read())["tags"]
        assert "0.1.0" in tags and len(tags) == 2  # the version and the commit
    finally:
        registry.terminate()
        registry.wait(timeout=10)
        for reference in docker_client.images.list(name=f"127.0.0.1:{port}/*/*"):
            for tag in reference.tags:
                docker_client.images.remove(tag)
