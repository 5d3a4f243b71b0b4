"""Each R template, as a new user meets it: generate, validate, set up, run with parameters,
run its own tests; the Shiny app answers on its port; the package publishes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jsonschema
import pytest
import yaml

from .conftest import brain_process, ok

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _generate(brain, tmp_path: Path, template: str, name: str = "demo") -> Path:  # type: ignore[no-untyped-def]
    result = brain("generate", "--no-input", "-t", template, "--name", name, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    project = tmp_path / name
    assert brain("validate", str(project)).exit_code == 0
    schema = json.loads((REPO / "onebrain.schema.json").read_text())
    jsonschema.validate(yaml.safe_load((project / "onebrain.yml").read_text().replace(
        "2024-01-01", "'2024-01-01'")), schema)
    assert not list(project.rglob("*.jinja"))
    ok(brain_process("setup-deps", cwd=project))
    assert "[ FAIL 0 |" in ok(brain_process("run", "-e", "test", cwd=project))
    return project


def test_generated_projects_get_the_one_shipped_helper(brain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shipped = (REPO / "brain" / "rlang" / "brain.R").read_text()
    assert not list((REPO / "templates").rglob("brain.R"))  # no copy kept in the templates
    for name, where in (("r-basic", "R/brain.R"), ("r-package", "scripts/brain.R")):
        result = brain("generate", "--no-input", "-t", name, "--name", f"h-{name}",
                       cwd=tmp_path)
        assert result.exit_code == 0, result.output
        assert (tmp_path / f"h-{name}" / where).read_text() == shipped


def test_r_basic_runs_with_parameters(brain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = _generate(brain, tmp_path, "r-basic")
    output = ok(brain_process("run", "-P", "who=Ada", "-P", "times=2", "-P", "ds=2024-02-29",
                              cwd=project))
    assert output.count("Hello, Ada!") == 2
    assert "date stamp: 2024-02-29 (a Date)" in output
    refused = brain_process("run", "-P", "times=11", cwd=project)
    assert refused.returncode == 2


def test_r_package_runs_builds_and_publishes(brain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = _generate(brain, tmp_path, "r-package", name="air-stats")
    assert "mean: 2.00" in ok(brain_process("run", "-P", "values=1,3", "-P", "digits=2",
                                             cwd=project))
    ok(brain_process("publish", cwd=project))
    from brain.publish.index import index_root

    assert (index_root() / "r" / "src" / "contrib" / "air.stats_0.1.0.tar.gz").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_r_shiny_answers_on_its_port(brain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = _generate(brain, tmp_path, "r-shiny")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "brain", "run", "-P", f"port={port}"],
                              cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 120
        body = ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    body = page.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "Random sample" in body
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_r_package_names_follow_r_rules(brain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = brain("generate", "--no-input", "-t", "r-package", "--name", "3d-model",
                   "--description", 'He said "hi" \\ bye', cwd=tmp_path)
    assert result.exit_code == 0, result.output
    project = tmp_path / "3d-model"
    assert (project / "DESCRIPTION").read_text().startswith("Package: r3d.model\n")
    built = brain("build", str(project))
    assert built.exit_code == 0, built.output
    assert (project / "dist" / "r3d.model_0.1.0.tar.gz").is_file()
