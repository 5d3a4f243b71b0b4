"""R projects in the docker backend, with the real daemon: R and the fitting r-cran-* packages
from the base image's apt, the rest from brain's local R repository, `type: r` entries and a
Shiny app in the container; a code-only change keeps the R layers; hostile names never reach
a build. Two R images per session (r-basic; a Shiny project using a published R package),
each built once and shared by the tests that run them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker_helpers import BASE_IMAGE, NAMESPACE, environment_of

from brain.errors import InvalidInput

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "BRAIN_HOME": str(home), "BRAIN_DOCKER_BASE_IMAGE": BASE_IMAGE,
            "NO_COLOR": "1"}


def _brain(*args: str, env: dict[str, str], cwd: Path | None = None,
           timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "brain", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout, check=False)


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _generate(template: str, parent: Path, name: str, env: dict[str, str]) -> Path:
    _ok(_brain("generate", "--no-input", "-t", template, "--name", name, "--namespace",
               NAMESPACE, cwd=parent, env=env))
    return parent / name


@pytest.fixture(scope="session")
def r_basic(docker_client: Any, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, dict[str, str]]:
    """The r-basic template as generated, its image built once: (folder, environment)."""
    parent = tmp_path_factory.mktemp("r-basic")
    env = _env(parent / "home")
    root = _generate("r-basic", parent, "r-basic-docker", env)
    _ok(_brain("setup-deps", "--backend", "docker", str(root), env=env))
    return root, env


@pytest.fixture(scope="session")
def r_consumer(docker_client: Any, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Path, dict[str, str]]:
    """The r-shiny template, also depending on an R package published to brain's local
    repository (built on the host with R CMD build), with an r entry using it; built once."""
    if shutil.which("Rscript") is None:  # publishing builds the package with the host's R
        reason = "R is not installed (scripts/r-setup installs it)"
        if os.environ.get("BRAIN_REQUIRE_R", "") not in ("", "0"):
            pytest.fail(reason + " (BRAIN_REQUIRE_R is set: CI must not skip these)")
        pytest.skip(reason)
    parent = tmp_path_factory.mktemp("r-consumer")
    env = _env(parent / "home")
    package = _generate("r-package", parent, "dockerpkg", env)
    _ok(_brain("publish", str(package), env=env))
    root = _generate("r-shiny", parent, "r-shiny-docker", env)
    spec = yaml.safe_load((root / "onebrain.yml").read_text())
    spec["env"]["r"]["packages"]["dockerpkg"] = "==0.1.0"
    spec["env"]["r"]["repos"] = ["local"]
    spec["entry_points"]["fit"] = {"type": "r", "script": "R/fit.R",
                                   "parameters": {"values": {"type": "str", "default": "1,2"}}}
    (root / "onebrain.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (root / "R" / "fit.R").write_text(
        'args <- commandArgs(trailingOnly = TRUE)\n'
        'values <- as.numeric(strsplit(args[which(args == "--values") + 1], ",")[[1]])\n'
        'cat("dockerpkg", as.character(packageVersion("dockerpkg")), "from",\n'
        '    dirname(find.package("dockerpkg")), "\\n")\n'
        'cat("mean:", mean(values), "\\n")\n')
    _ok(_brain("setup-deps", "--backend", "docker", str(root), env=env))
    return root, env


def test_r_basic_runs_in_the_container(r_basic: tuple[Path, dict[str, str]]) -> None:
    root, env = r_basic
    out = _ok(_brain("run", "--backend", "docker", "-e", "main", "-P", "who=container",
                     "-P", "times=2", "-P", "ds=2024-02-29", str(root), env=env))
    assert out.count("Hello, container!") == 2
    assert "date stamp: 2024-02-29 (a Date)" in out
    tests = _ok(_brain("run", "--backend", "docker", "-e", "test", str(root), env=env))
    assert "[ FAIL 0 |" in tests  # testthat: Debian's r-cran-testthat in the image
    refused = _brain("run", "--backend", "docker", "-P", "times=11", str(root), env=env)
    assert refused.returncode == 2


def test_system_packages_come_from_debian(r_basic: tuple[Path, dict[str, str]],
                                          docker_client: Any) -> None:
    root, _ = r_basic
    environment = environment_of(root)
    assert environment.is_ready()
    container = docker_client.containers.run(
        environment.tags()[0], entrypoint=["Rscript", "-e"], detach=True,
        command=['cat(R.version$major, find.package("jsonlite"), find.package("testthat"))'])
    try:
        assert container.wait(timeout=120)["StatusCode"] == 0
        printed = container.logs(stdout=True, stderr=False).decode()
    finally:
        container.remove(force=True)
    assert printed.split() == ["4", "/usr/lib/R/site-library/jsonlite",
                               "/usr/lib/R/site-library/testthat"]


def test_a_code_only_change_keeps_the_r_layers(r_basic: tuple[Path, dict[str, str]],
                                               tmp_path: Path) -> None:
    root, _ = r_basic
    copy = tmp_path / root.name
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".brain"))
    with (copy / "R" / "greet.R").open("a") as script:
        script.write("# a code-only change\n")
    build = environment_of(copy).build()
    assert build.built
    steps = [index for index, line in enumerate(build.log)
             if line.startswith("Step ") and "setup.py" in line]
    assert len(steps) == 2, build.log
    for index in steps:
        assert build.log[index + 1].strip() == "---> Using cache", build.log[index:index + 3]


def test_a_published_r_package_is_installed_in_the_image(
        r_consumer: tuple[Path, dict[str, str]]) -> None:
    root, env = r_consumer
    out = _ok(_brain("run", "--backend", "docker", "-e", "fit", "-P", "values=1,2,6",
                     str(root), env=env))
    assert "dockerpkg 0.1.0 from /opt/brain/r-library" in out
    assert "mean: 3" in out


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_shiny_app_answers_from_the_container(r_consumer: tuple[Path, dict[str, str]],
                                                  docker_client: Any) -> None:
    root, env = r_consumer
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "brain", "run", "--backend", "docker", "-e", "main", "-P",
         f"port={port}", str(root)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    body = ""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    body = page.read().decode()
                break
            except OSError:
                time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert "Random sample" in body, server.stdout.read() if server.stdout else ""
    label = f"brain.project={NAMESPACE}/r-shiny-docker"
    # The daemon removes a stopped --rm container on its own time: wait for it, bounded.
    deadline = time.monotonic() + 60
    while docker_client.containers.list(all=True, filters={"label": label}) and \
            time.monotonic() < deadline:
        time.sleep(0.5)
    assert docker_client.containers.list(all=True, filters={"label": label}) == []


@pytest.mark.parametrize(("packages", "said"), [
    ({"jsonlite'); system('id'); ('": "*"}, "is not a valid key"),
    ({"ok.pkg": ">=1.0; touch /tmp/pwned"}, "is not a version specifier"),
    ({"$(id)": "*"}, "is not a valid key"),
])
def test_a_hostile_r_requirement_is_refused_before_any_build(
        make_project: Callable[..., Path], brain: Callable[..., Any], docker_client: Any,
        packages: dict[str, str], said: str) -> None:
    root = make_project({"onebrain.yml": yaml.safe_dump({
        "name": "hostile-r", "version": "0.1.0", "namespace": NAMESPACE,
        "entry_points": {"main": {"type": "r", "script": "main.R"}},
        "env": {"r": {"packages": packages}}}), "main.R": "cat('hi')\n"})
    for command in (("setup-deps", "--backend", "docker"), ("build", "--docker"),
                    ("run", "--backend", "docker")):
        result = brain(*command, str(root))
        assert result.exit_code == 2, result.output
        assert said in result.output
    assert docker_client.images.list(name=f"{NAMESPACE}/hostile-r") == []  # nothing built


def test_the_dockerfile_never_names_an_r_package(make_project: Callable[..., Path]) -> None:
    from brain.envs.build_context import build_context
    from brain.envs.dockerfile import BuildSettings
    from brain.spec.loader import load_project

    root = make_project({"onebrain.yml": yaml.safe_dump({
        "name": "named-r", "version": "0.1.0",
        "entry_points": {"main": {"type": "r", "script": "main.R"}},
        "env": {"r": {"packages": {"jsonlite": ">=1.8", "Some.Pkg": "==0.1-2"},
                      "repos": ["local", "https://cran.example.com"]}}}),
        "main.R": "cat('hi')\n"})
    context = build_context(load_project(root), BuildSettings(), brain_version="test")
    assert "jsonlite" not in context.dockerfile and "Some.Pkg" not in context.dockerfile
    names = {member.name for member in context.files}
    assert {"_brain/r/requirements.json", "_brain/r/setup.py", "_brain/r/specifiers.py",
            "_brain/r/install.R", "_brain/r-repo/src/contrib/PACKAGES"} <= names
    requirements = next(member.data for member in context.files
                        if member.name == "_brain/r/requirements.json")
    assert requirements is not None
    assert b'"file:///opt/brain/build/r-repo"' in requirements


def test_a_folder_repository_is_refused_for_images(make_project: Callable[..., Path]) -> None:
    from brain.rlang.image import requirements_json
    from brain.spec.loader import load_project

    root = make_project({"onebrain.yml": yaml.safe_dump({
        "name": "folder-r", "version": "0.1.0",
        "entry_points": {"main": {"type": "r", "script": "main.R"}},
        "env": {"r": {"packages": {"jsonlite": "*"}, "repos": ["file:///srv/cran"]}}}),
        "main.R": "cat('hi')\n"})
    with pytest.raises(InvalidInput, match="an image build cannot see"):
        requirements_json(load_project(root))


@pytest.mark.parametrize(("debian", "upstream"), [
    ("1.8.4+dfsg-1", "1.8.4"), ("3.1.6-1", "3.1.6"), ("1:2.0-3", "2.0"),
    ("7.3-58.2-1", "7.3-58.2"), ("1.7.4+dfsg-2+deb12u1", "1.7.4"), ("0.9~rc1-1", "0.9"),
])
def test_debian_versions_read_as_r_versions(debian: str, upstream: str) -> None:
    from brain.rlang.image_setup import debian_upstream

    assert debian_upstream(debian) == upstream


def test_an_r_package_nowhere_to_be_found_fails_the_build_in_one_message(
        docker_client: Any, make_project: Callable[..., Path], brain: Callable[..., Any]
) -> None:
    root = make_project({"onebrain.yml": yaml.safe_dump({
        "name": "missing-r", "version": "0.1.0", "namespace": NAMESPACE,
        "entry_points": {"main": {"type": "r", "script": "main.R"}},
        "env": {"r": {"packages": {"jsonlite": ">=99"}}}}), "main.R": "cat('hi')\n"})
    result = brain("setup-deps", "--backend", "docker", str(root))
    assert result.exit_code == 3, result.output
    assert "env.r.packages: jsonlite not in the base image's distribution" in result.output
    assert "check env.r in onebrain.yml" in result.output
    assert docker_client.images.list(name=f"{NAMESPACE}/missing-r") == []
