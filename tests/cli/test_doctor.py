"""`brain doctor` on this machine: real interpreters, uv, git, SQLite and Docker daemon."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

Brain = Callable[..., Result]


def _checks(result: Result) -> dict[str, dict[str, str]]:
    return {check["name"]: check for check in json.loads(result.stdout)}


def test_a_healthy_machine_passes(brain: Brain, tmp_path: Path) -> None:
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    checks = _checks(result)
    assert list(checks) == ["brain", "python", "installer", "git", "home", "store", "cache",
                            "r"]
    # R is optional (tests/r check it): only R projects need it.
    assert all(check["status"] == "ok" for name, check in checks.items() if name != "r"), checks
    assert checks["installer"]["detail"].startswith("uv ")
    assert checks["git"]["detail"].startswith("git version")
    assert "0 run(s), schema version" in checks["store"]["detail"]
    python = ".".join(str(part) for part in sys.version_info[:2])
    assert python in checks["python"]["detail"]


def test_table_output_names_every_check(brain: Brain, tmp_path: Path) -> None:
    result = brain("doctor", "--no-docker", cwd=tmp_path)
    assert result.exit_code == 0
    for name in ("python", "installer", "git", "home", "store", "cache"):
        assert f"\n{name}\tok\t" in result.stdout


def test_an_unusable_home_fails_with_exit_3_and_a_fix(
        brain: Brain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where BRAIN_HOME should be")
    monkeypatch.setenv("BRAIN_HOME", str(blocker))
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    assert result.exit_code == 3
    checks = _checks(result)
    assert checks["home"]["status"] == "fail"
    assert "BRAIN_HOME" in checks["home"]["hint"]
    assert checks["store"]["status"] == "fail"
    assert "Traceback" not in result.output
    assert blocker.read_text() == "a file where BRAIN_HOME should be"  # nothing lost


def test_a_corrupt_store_is_reported_not_replaced(
        brain: Brain, tmp_path: Path, isolated: Path) -> None:
    store = isolated / "brain.db"
    store.write_bytes(b"this is not a SQLite database" * 100)
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    assert result.exit_code == 3
    check = _checks(result)["store"]
    assert check["status"] == "fail" and "brain.db" in check["detail"]
    assert store.read_bytes().startswith(b"this is not a SQLite database")


def test_a_cache_on_another_filesystem_only_warns(
        brain: Brain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem to put the cache on")
    monkeypatch.setenv("BRAIN_CACHE_DIR", str(other / f"brain-doctor-{os.getpid()}"))
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    assert result.exit_code == 0
    check = _checks(result)["cache"]
    assert check["status"] == "warn" and "hard-link" in check["detail"]
    assert "BRAIN_CACHE_DIR" in check["hint"]


def test_an_unreachable_daemon_only_warns(
        brain: Brain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    result = brain("doctor", "--json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    check = _checks(result)["docker"]
    assert check["status"] == "warn" and "cannot reach the Docker daemon" in check["detail"]

