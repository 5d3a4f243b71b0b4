"""Fixtures for the Docker backend tests: a real daemon (skip only when none is reachable),
the local base image, projects in real git repositories, and container bookkeeping."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import BASE_IMAGE, NAMESPACE, git


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client of the local daemon; the test is skipped only when no daemon answers."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except DockerException as error:
        reason = f"no Docker daemon reachable ({error}); run scripts/docker-setup as root"
        if os.environ.get("BRAIN_REQUIRE_DOCKER", "") not in ("", "0"):
            pytest.fail(reason + " (BRAIN_REQUIRE_DOCKER is set: CI must not skip these)")
        pytest.skip(reason)
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"the base image {BASE_IMAGE} is missing: run scripts/docker-setup")
    yield client
    # Old builds of the test projects lose their tags to newer ones; drop those, keep the
    # tagged ones so their layers stay cached for the next run.
    client.images.prune(filters={"dangling": True, "label": f"brain.namespace={NAMESPACE}"})
    client.close()


@pytest.fixture(autouse=True)
def base_image(monkeypatch: pytest.MonkeyPatch) -> str:
    """Builds use the local base image: this machine has no registry access."""
    monkeypatch.setenv("BRAIN_DOCKER_BASE_IMAGE", BASE_IMAGE)
    return BASE_IMAGE


@pytest.fixture
def git_project(make_project: Callable[..., Path]) -> Callable[..., Path]:
    """make_project, then `git init` and one commit."""
    def make(files: dict[str, str], *, name: str | None = None) -> Path:
        root = make_project(files, name=name)
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
        return root

    return make
