"""A second project uses the published library: setup-deps, run, and re-locking."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.publish.conftest import LIB_A, LIB_A_IMPORT

pytestmark = pytest.mark.slow


def consumer(make_project: Callable[..., Path], index_url: str) -> Path:
    return make_project({"onebrain.yml": (
        "name: consumer-b\nversion: 0.1.0\n"
        "entry_points:\n  main:\n    type: shell\n"
        f"    command: python -c \"import {LIB_A_IMPORT}; print('A is', {LIB_A_IMPORT}.VALUE)\"\n"
        "env:\n  python:\n"
        f"    pip: {{{LIB_A}: '>=0.1'}}\n"
        f"    extra_index_urls: [{index_url}]\n")}, name="consumer-b")


def locked_version(project: Path) -> str:
    text = (project / "onebrain.lock").read_text()
    match = re.search(rf"^{LIB_A}==(\S+)", text, re.MULTILINE)
    assert match, text
    return match[1]


def test_consumer_sets_up_and_runs_with_the_library(
        brain, make_library, make_project, served_index, capfd) -> None:
    assert brain("publish", str(make_library("0.1.0"))).exit_code == 0
    project_b = consumer(make_project, served_index())
    setup = brain("setup-deps", str(project_b))
    assert setup.exit_code == 0, setup.output
    run = brain("run", "-e", "main", cwd=project_b)
    assert run.exit_code == 0, run.output
    assert "A is 0.1.0" in run.stdout + capfd.readouterr().out


def test_relocking_the_consumer_picks_up_a_new_release(
        brain, make_library, make_project, served_index, capfd) -> None:
    assert brain("publish", str(make_library("0.1.0"))).exit_code == 0
    project_b = consumer(make_project, served_index())
    locked = brain("lock", str(project_b))
    assert locked.exit_code == 0, locked.output
    assert locked_version(project_b) == "0.1.0"

    assert brain("publish", str(make_library("0.2.0"))).exit_code == 0
    relocked = brain("lock", str(project_b), "--upgrade")
    assert relocked.exit_code == 0, relocked.output
    assert locked_version(project_b) == "0.2.0"
    assert brain("setup-deps", str(project_b)).exit_code == 0
    run = brain("run", "-e", "main", cwd=project_b)
    assert run.exit_code == 0, run.output
    assert "A is 0.2.0" in run.stdout + capfd.readouterr().out


def test_a_resolver_sees_a_new_release_at_once(brain, make_library, served_index,
                                               tmp_path: Path) -> None:
    """The served pages are never cached stale: uv resolves 0.2.0 right after it is published."""
    from uv import find_uv_bin

    url = served_index()
    requirements = tmp_path / "requirements.in"
    requirements.write_text(f"{LIB_A}>=0.1\n")

    def resolved() -> str:
        completed = subprocess.run(
            [find_uv_bin(), "pip", "compile", "--quiet", "--no-header",
             "--cache-dir", str(tmp_path / "uv-cache"), "--extra-index-url", url,
             str(requirements)], capture_output=True, text=True, timeout=300)
        assert completed.returncode == 0, completed.stderr
        match = re.search(rf"^{LIB_A}==(\S+)", completed.stdout, re.MULTILINE)
        assert match, completed.stdout
        return match[1]

    assert brain("publish", str(make_library("0.1.0"))).exit_code == 0
    assert resolved() == "0.1.0"
    assert brain("publish", str(make_library("0.2.0"))).exit_code == 0
    assert resolved() == "0.2.0"


def test_consumer_resolves_from_the_local_index_folder_directly(
        brain, make_library, make_project, isolated: Path, capfd) -> None:
    # no server at all: uv reads the PEP 503 folder through its file:// URL
    assert brain("publish", str(make_library("0.3.0"))).exit_code == 0
    project_b = consumer(make_project, (isolated / "index" / "simple").as_uri())
    assert brain("setup-deps", str(project_b)).exit_code == 0
    run = brain("run", "-e", "main", cwd=project_b)
    assert run.exit_code == 0, run.output
    assert "A is 0.3.0" in run.stdout + capfd.readouterr().out


def test_the_user_setting_alone_lets_a_consumer_resolve_from_the_local_index(
        brain, make_library, make_project, capfd) -> None:
    """No index in the consumer's spec: `brain config set extra_index_urls local` is enough,
    and changing the setting is an input change, never an `up to date` answered from the stamp."""
    assert brain("publish", str(make_library("0.1.0"))).exit_code == 0
    project_b = make_project({"onebrain.yml": (
        "name: consumer-c\nversion: 0.1.0\n"
        "entry_points:\n  main:\n    type: shell\n"
        f"    command: python -c \"import {LIB_A_IMPORT}; print('A is', {LIB_A_IMPORT}.VALUE)\"\n"
        f"env:\n  python:\n    pip: {{{LIB_A}: '>=0.1'}}\n")}, name="consumer-c")
    unset = brain("setup-deps", str(project_b))
    assert unset.exit_code == 3  # PyPI alone has no such library
    assert LIB_A in unset.stderr and "Traceback" not in unset.output

    assert brain("config", "set", "extra_index_urls", "local").exit_code == 0
    setup = brain("setup-deps", str(project_b))
    assert setup.exit_code == 0, setup.output
    run = brain("run", "-e", "main", cwd=project_b)
    assert run.exit_code == 0, run.output
    assert "A is 0.1.0" in run.stdout + capfd.readouterr().out
    assert brain("lock", str(project_b)).exit_code == 0
    assert locked_version(project_b) == "0.1.0"

    assert brain("config", "unset", "extra_index_urls").exit_code == 0
    again = brain("setup-deps", str(project_b))  # the lock is stale now: re-locking fails
    assert again.exit_code == 3, again.output
    assert LIB_A in again.stderr
