"""The generated Dockerfile, .dockerignore, build context and settings: no daemon needed."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import spec_text

from brain.envs.build_context import build_context
from brain.envs.dockerfile import BuildSettings, dockerfile_text, host_pip_settings
from brain.envs.image_names import memory_bytes, parse_reference, repository_name, tag_text
from brain.errors import InvalidInput
from brain.spec.loader import load_project

ECHO = "  echo:\n    command: echo hi\n"


def _settings(**changes: object) -> BuildSettings:
    values: dict[str, object] = {"base_image": "brain-base:bookworm", "ca_bundle": None}
    values.update(changes)
    return BuildSettings(**values)  # type: ignore[arg-type]


def test_layers_go_from_base_to_code(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("layers", ECHO, extra=(
        "env:\n  python: {version: '3.11', pip: {six: ==1.16.0}}\n"
        "  docker: {apt: [libgomp1, curl=7.88.1-10]}\n"))})
    text = dockerfile_text(load_project(root), _settings(), brain_version="9.9")
    order = [text.index(marker) for marker in (
        "FROM brain-base:bookworm", "python3 -m venv /opt/brain", "apt-get install",
        "COPY _brain/requirements.txt", "ENTRYPOINT", "COPY _brain/src/", "COPY project/")]
    assert order == sorted(order)
    assert text.rstrip().endswith("COPY project/ /app/")
    assert "libgomp1 curl=7.88.1-10" in text
    assert "sys.version_info[:2]" in text and "(3, 11)" in text  # the Python check


def test_default_base_image_follows_the_spec_python(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("py312", ECHO, extra=(
        "env: {python: {version: '3.12.1'}}\n"))})
    text = dockerfile_text(load_project(root), _settings(base_image=None), brain_version="1")
    assert "FROM python:3.12-slim" in text


def test_spec_base_image_wins_over_the_machine_setting(make_project: Callable[..., Path]
                                                        ) -> None:
    root = make_project({"onebrain.yml": spec_text("own-base", ECHO, extra=(
        "env: {docker: {base_image: 'registry.local/py:3.11'}}\n"))})
    text = dockerfile_text(load_project(root), _settings(), brain_version="1")
    assert "FROM registry.local/py:3.11" in text


def test_pip_settings_and_ca_become_build_arguments(make_project: Callable[..., Path],
                                                    tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    root = make_project({"onebrain.yml": spec_text("proxy", ECHO)})
    settings = _settings(ca_bundle=ca, pip_args={"PIP_INDEX_URL": "https://mirror/simple"})
    text = dockerfile_text(load_project(root), settings, brain_version="1")
    assert "ARG PIP_INDEX_URL" in text
    assert "COPY _brain/ca-certificates.crt /opt/brain/build/ca-certificates.crt" in text
    assert "PIP_CERT=/opt/brain/build/ca-certificates.crt /opt/venv/bin/pip install" in text


def test_host_pip_settings_keep_urls_and_drop_local_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = https://corp.example/simple\n"
                      "extra-index-url = file:///opt/local https://extra.example/simple\n"
                      "find-links = /opt/wheels\ntrusted-host = corp.example\n")
    monkeypatch.setenv("HOME", str(tmp_path))  # no user config files
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "none"))
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_TRUSTED_HOST", raising=False)
    found = host_pip_settings()
    assert found.get("PIP_INDEX_URL") == "https://corp.example/simple"
    assert found.get("PIP_EXTRA_INDEX_URL") == "https://extra.example/simple"
    assert found.get("PIP_TRUSTED_HOST") == "corp.example"
    monkeypatch.setenv("PIP_INDEX_URL", "https://from-env.example/simple")
    assert host_pip_settings()["PIP_INDEX_URL"] == "https://from-env.example/simple"


def test_context_leaves_out_state_envs_and_outputs(make_project: Callable[..., Path]) -> None:
    root = make_project({
        "onebrain.yml": spec_text("ctx", "  fit:\n    command: echo\n"
                                  "    outputs: [models/model.pkl]\n"),
        "src/fit.py": "print(1)\n",
        "models/model.pkl": "big\n",
        ".brain/venv/bin/python": "x",
        ".venv/lib/x.py": "x",
        "src/__pycache__/fit.cpython-311.pyc": "x",
        ".git/HEAD": "ref\n",
        "data/keep.csv": "a,b\n",
        "notes/secret.txt": "s",
        ".dockerignore": "notes/\n",
    })
    context = build_context(load_project(root), _settings(), brain_version="1")
    with tarfile.open(fileobj=context.tar()) as archive:
        names = set(archive.getnames())
    project_files = {n for n in names if n.startswith("project/")}
    assert project_files == {"project/onebrain.yml", "project/src/fit.py",
                             "project/data/keep.csv", "project/.dockerignore"}
    assert "_brain/Dockerfile" in names and "_brain/src/brain/dispatch.py" in names


def test_identity_follows_content_not_times(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("ident", ECHO), "src/a.py": "x = 1\n"})
    first = build_context(load_project(root), _settings(), brain_version="1")
    (root / "src/a.py").touch()
    again = build_context(load_project(root), _settings(), brain_version="1")
    assert again.identity == first.identity
    (root / "src/a.py").write_text("x = 2\n")
    changed = build_context(load_project(root), _settings(), brain_version="1")
    assert changed.identity != first.identity
    assert changed.env_identity == first.env_identity  # code is not the environment


def test_lock_is_preferred_to_requirement_lines(make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("locked", ECHO, extra=(
        "env: {python: {pip: {six: '>=1'}}}\n")),
        "onebrain.lock": "six==1.16.0 --hash=sha256:abc\n"})
    context = build_context(load_project(root), _settings(), brain_version="1")
    requirements = next(f for f in context.files if f.name == "_brain/requirements.txt")
    assert requirements.data == b"six==1.16.0 --hash=sha256:abc\n"


@pytest.mark.parametrize("package", ["libgomp1; rm -rf /", "$(reboot)", "Lib", "a b", "-y"])
def test_hostile_apt_names_are_refused(make_project: Callable[..., Path], package: str) -> None:
    root = make_project({"onebrain.yml": spec_text("apt", ECHO, extra=(
        f"env: {{docker: {{apt: [{package!r}]}}}}\n"))})
    with pytest.raises(InvalidInput, match="not a Debian package name"):
        dockerfile_text(load_project(root), _settings(), brain_version="1")


def test_names_tags_and_sizes() -> None:
    assert repository_name("my-team", "a..b") == "my-team/a-b"
    assert tag_text("1.0+local.3") == "1.0-local.3"
    assert parse_reference("latest", "ns/app") == "ns/app:latest"
    assert parse_reference("localhost:5000/x/y:v1", "ns/app") == "localhost:5000/x/y:v1"
    assert memory_bytes("4Gi") == 4 * 2**30 and memory_bytes("512M") == 512 * 10**6
    assert memory_bytes("1024") == 1024
    for bad in ("bad tag", "UPPER:x", "x:$(id)", ":"):
        with pytest.raises(InvalidInput):
            parse_reference(bad, "ns/app")


def test_print_dockerfile_through_the_cli(brain: Callable[..., Any],
                                          make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": spec_text("printed", ECHO)})
    result = brain("build", "--docker", "--print-dockerfile", str(root))
    assert result.exit_code == 0, result.output
    assert "FROM brain-base:bookworm" in result.stdout
    assert "\n.brain\n" in result.stdout  # brain's state, never in an image


@pytest.mark.parametrize("args, message", [
    (["--tag", "bad tag!"], "not a valid image tag"),
    (["--push", "not a registry!"], "not a registry address"),
    ([], "choose what to build"),
])
def test_bad_build_options_are_one_line_errors(
        brain: Callable[..., Any], make_project: Callable[..., Path],
        args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # No daemon is contacted before the options are checked: point at one that is absent.
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    root = make_project({"onebrain.yml": spec_text("opts", ECHO)})
    docker_flag = [] if message == "choose what to build" else ["--docker"]
    result = brain("build", *docker_flag, *args, str(root))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_ca_bundle_setting_is_invalid_input(
        brain: Callable[..., Any], make_project: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_DOCKER_CA_BUNDLE", "/nonexistent/ca.pem")
    root = make_project({"onebrain.yml": spec_text("ca", ECHO)})
    result = brain("build", "--docker", "--print-dockerfile", str(root))
    assert result.exit_code == 2
    assert "BRAIN_DOCKER_CA_BUNDLE=/nonexistent/ca.pem: no such file" in result.output


def test_no_daemon_is_an_environment_failure(
        brain: Callable[..., Any], make_project: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    root = make_project({"onebrain.yml": spec_text("nodaemon", ECHO)})
    result = brain("build", "--docker", str(root))
    assert result.exit_code == 3
    assert "cannot reach the Docker daemon" in result.output
    assert "scripts/docker-setup" in result.output


@pytest.mark.parametrize("base", ["python:3.11\nRUN touch /pwned", "python 3.11", "$(id)"])
def test_hostile_base_images_are_refused(make_project: Callable[..., Path], base: str) -> None:
    root = make_project({"onebrain.yml": spec_text("base", ECHO, extra=(
        f"env: {{docker: {{base_image: {json.dumps(base)}}}}}\n"))})  # YAML reads JSON
    with pytest.raises(InvalidInput, match="is not an image reference"):
        dockerfile_text(load_project(root), _settings(), brain_version="1")
