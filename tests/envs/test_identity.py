"""Identity, stamps and requirement inputs: computed locally, no network, no uv."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from brain.envs.identity import (
    collect_inputs,
    environment_identity,
    platform_tag,
    quick_key,
)
from brain.errors import InvalidInput
from brain.spec.loader import load_project
from tests.envs.conftest import spec_text


def _identity(project: Path) -> str:
    from brain.envs.venv import VenvEnvironment

    return VenvEnvironment(load_project(project)).identity()


def test_identity_is_stable_and_ignores_order_and_spelling(
        make_project: Callable[..., Path]) -> None:
    first = make_project({"onebrain.yml": spec_text(["six==1.16.0", "idna==3.7"])})
    second = make_project({"onebrain.yml": spec_text(["IDNA == 3.7", "six==1.16.0"])})
    assert _identity(first) == _identity(first)
    assert _identity(first) == _identity(second)


def test_identity_changes_with_a_pin_the_python_version_or_the_requirements_file(
        make_project: Callable[..., Path]) -> None:
    base = _identity(make_project({"onebrain.yml": spec_text({"six": "==1.16.0"})}))
    assert base != _identity(make_project({"onebrain.yml": spec_text({"six": "==1.15.0"})}))
    assert base != _identity(make_project({
        "onebrain.yml": spec_text({"six": "==1.16.0"}, python="3.12")}))
    with_file = make_project({
        "onebrain.yml": spec_text({"six": "==1.16.0"}, extra="    requirements: req.txt\n"),
        "req.txt": "idna==3.7\n"})
    assert base != _identity(with_file)
    before = _identity(with_file)
    (with_file / "req.txt").write_text("idna==3.6\n")
    assert before != _identity(with_file)


def test_nested_requirements_files_count(make_project: Callable[..., Path]) -> None:
    project = make_project({
        "onebrain.yml": spec_text(extra="    requirements: reqs/main.txt\n"),
        "reqs/main.txt": "-r base.txt\n--constraint=../constraints.txt\n",
        "reqs/base.txt": "six==1.16.0\n",
        "constraints.txt": "idna<4\n",
    })
    inputs = collect_inputs(load_project(project))
    assert [name for name, _ in inputs.files] == ["reqs/main.txt", "reqs/base.txt",
                                                  "constraints.txt"]
    before = _identity(project)
    (project / "reqs/base.txt").write_text("six==1.15.0\n")
    assert _identity(project) != before


@pytest.mark.parametrize("line", ["-r ../../outside.txt", "-r /etc/passwd",
                                  "--requirement=../x/../../y.txt"])
def test_requirements_including_files_outside_the_project_are_refused(
        make_project: Callable[..., Path], line: str) -> None:
    project = make_project({"onebrain.yml": spec_text(extra="    requirements: req.txt\n"),
                            "req.txt": f"{line}\n"})
    with pytest.raises(InvalidInput, match="inside the project"):
        collect_inputs(load_project(project))


def test_a_requirements_symlink_leaving_the_project_is_refused(
        make_project: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("six\n")
    project = make_project({"onebrain.yml": spec_text(extra="    requirements: req.txt\n")})
    os.symlink(outside, project / "req.txt")
    with pytest.raises(InvalidInput, match="outside the project"):
        collect_inputs(load_project(project))


def test_a_missing_requirements_file_is_named(make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": spec_text(extra="    requirements: nope.txt\n")})
    with pytest.raises(InvalidInput, match=r"nope\.txt: requirements file not found"):
        collect_inputs(load_project(project))


def test_identity_covers_platform_and_python() -> None:
    assert environment_identity("abc", "3.11") != environment_identity("abc", "3.12")
    assert environment_identity("abc", "3.11") != environment_identity("abd", "3.11")
    assert platform_tag().count("-") >= 1


def test_quick_key_tracks_spec_lock_and_listed_files(tmp_path: Path) -> None:
    (tmp_path / "onebrain.yml").write_text("name: x\n")
    (tmp_path / "req.txt").write_text("six\n")
    first = quick_key(tmp_path, ["req.txt"])
    (tmp_path / "onebrain.lock").write_text("six==1\n")
    second = quick_key(tmp_path, ["req.txt"])
    (tmp_path / "req.txt").write_text("six==1\n")
    third = quick_key(tmp_path, ["req.txt"])
    assert len({first, second, third}) == 3
    assert quick_key(tmp_path, ["req.txt"]) == third


def test_the_noop_path_imports_neither_pydantic_nor_rich(tmp_path: Path) -> None:
    """`setup-deps` with nothing changed must stay cheap: the heavy modules stay unloaded."""
    import subprocess
    import sys

    code = ("import sys\nfrom pathlib import Path\nfrom brain.envs.select import "
            "EnvironmentOptions, backend\n"
            "backend('venv').quick_result(Path(sys.argv[1]), EnvironmentOptions())\n"
            "import brain.cli.env_commands\n"
            "print(sorted(m for m in ('pydantic', 'rich', 'yaml', 'jinja2', 'virtualenv') "
            "if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code, str(tmp_path)],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
