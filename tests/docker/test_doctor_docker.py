"""`brain doctor` against the real Docker daemon and the local base image."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docker_helpers import BASE_IMAGE

pytestmark = pytest.mark.docker


def _docker_check(brain: Callable[..., Any], cwd: Path) -> dict[str, str]:
    result = brain("doctor", "--json", cwd=cwd)
    assert result.exit_code == 0, result.output
    checks: dict[str, dict[str, str]] = {item["name"]: item for item in json.loads(result.stdout)}
    return checks["docker"]


def test_the_daemon_and_the_base_image_are_found(
        brain: Callable[..., Any], docker_client: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    present = _docker_check(brain, tmp_path)
    assert present["status"] == "ok"
    assert f"daemon {docker_client.version()['Version']}" in present["detail"]
    assert f"base image {BASE_IMAGE} present" in present["detail"]

    monkeypatch.setenv("BRAIN_DOCKER_BASE_IMAGE", "brain-test/no-such-image:0")
    missing = _docker_check(brain, tmp_path)
    assert missing["status"] == "warn" and "no-such-image:0 is missing" in missing["detail"]
    assert "scripts/docker-setup" in missing["hint"]
