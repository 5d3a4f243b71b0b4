"""The `$schema=` line of a new project resolves in a fresh clone: it names the project's own
copy of the schema (committed with it), or a configured address with brain's version."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from brain import __version__
from tests.conftest import Result
from tests.workspace.helpers import git

REPOSITORY = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def _reference(project: Path) -> str:
    found = LINE.search((project / "onebrain.yml").read_text())
    assert found is not None
    return found.group(1)


def test_a_generated_project_points_at_its_own_committed_schema(
        brain: Callable[..., Result], tmp_path: Path) -> None:
    result = brain("generate", "--no-input", "fresh", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "fresh"), str(clone))
    reference = _reference(clone)
    assert not Path(reference).is_absolute()
    assert (clone / reference).read_text() == (REPOSITORY / "onebrain.schema.json").read_text()


def test_a_copied_example_no_longer_points_where_it_came_from(
        brain: Callable[..., Result], tmp_path: Path) -> None:
    source = tmp_path / "examples/fit-model"
    shutil.copytree(REPOSITORY / "examples/fit-model", source,
                    ignore=shutil.ignore_patterns(".brain"))
    assert _reference(source) == "../../onebrain.schema.json"
    result = brain("generate", "--no-input", "--project", str(source), "--name", "my-fit",
                   str(tmp_path / "elsewhere/my-fit"), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    copy = tmp_path / "elsewhere/my-fit"
    assert (copy / _reference(copy)).is_file()


def test_a_configured_address_is_versioned(brain: Callable[..., Result], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAIN_SCHEMA_URL", "https://schemas.example.com/brain/{version}.json")
    result = brain("generate", "--no-input", "hosted", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert _reference(tmp_path / "hosted") == \
        f"https://schemas.example.com/brain/{__version__}.json"
    assert not (tmp_path / "hosted/onebrain.schema.json").exists()


def test_a_copied_readme_names_the_copy_where_it_lives(
        brain: Callable[..., Result], tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    shutil.copytree(REPOSITORY / "examples/fit-model", repository / "examples/fit-model",
                    ignore=shutil.ignore_patterns(".brain"))
    git(repository, "init", "--quiet")
    outside = tmp_path / "work/my-fit"
    result = brain("generate", "--no-input", "--project", "examples/fit-model", "--name",
                   "my-fit", str(outside), cwd=repository)
    assert result.exit_code == 0, result.output
    readme = (outside / "README.md").read_text()
    assert "brain run . -e fit-models" in readme and "examples/my-fit" not in readme
    inside = repository / "projects/my-fit2"
    result = brain("generate", "--no-input", "--project", "examples/fit-model", "--name",
                   "my-fit2", str(inside), cwd=repository)
    assert result.exit_code == 0, result.output
    readme = (inside / "README.md").read_text()
    assert "brain run projects/my-fit2 -e fit-models" in readme
    command = re.search(r"\$ brain run (projects/my-fit2 -e fit-models .*)", readme)
    assert command is not None
    ran = brain("run", *command.group(1).split(), "--dry-run", cwd=repository)
    assert ran.exit_code == 0, ran.output
