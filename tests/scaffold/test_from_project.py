"""`brain generate --project X`: copy, rename throughout, strip state, remember the origin."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from .helpers import git, snapshot

SPEC = """\
# yaml-language-server: $schema=https://example.com/onebrain.schema.json
name: churn-model
version: 2.4.1
namespace: prototypes
description: >-
  The churn-model predicts churn
  for Churn Model customers.
authors:
- Old Owner <old@example.com>
entry_points:
  fit:
    type: python
    module: churn_model.fit
    parameters:
      alpha: {type: float, default: 0.5}
    outputs: [models/churn_model.pkl, reports]
  main:
    type: shell
    command: python -m churn_model --alpha 1
env:
  python:
    version: "3.11"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A git monorepo holding prototypes/churn-model with code, data and local state."""
    root = tmp_path / "ws"
    project = root / "prototypes" / "churn-model"
    files = {
        "onebrain.yml": SPEC,
        "README.md": "# churn-model\n\nChurn Model: run `python -m churn_model`.\n",
        "src/churn_model/__init__.py": "CHURN_MODEL_VERSION = 1\n__version__ = '2.4.1'\n",
        "pyproject.toml": '[project]\nname = "churn-model"\nversion = "2.4.1"\n',
        "src/churn_model/fit.py": "from churn_model import CHURN_MODEL_VERSION\n\n\n"
                                  "class ChurnModelTrainer:\n    name = 'churn-model'\n",
        "src/churn_model/__main__.py": "import churn_model.fit\n",
        "tests/test_churn_model.py": "import churn_model\n",
        "data/train.csv": "a,b\n1,2\n",
        "data/blob.bin": "",
        ".gitignore": "__pycache__/\n",
        # state that must stay behind
        ".brain/venv/bin/python": "",
        ".brain/runs/log.txt": "churn-model ran\n",
        ".venv/pyvenv.cfg": "home = /usr\n",
        "env2/pyvenv.cfg": "home = /usr\n",
        "src/churn_model/__pycache__/fit.cpython-311.pyc": "",
        ".pytest_cache/README.md": "",
        "models/churn_model.pkl": "weights",
        "reports/index.html": "<html>churn-model</html>",
        "dist/churn_model-2.4.1.whl": "",
        "churn_model.egg-info/PKG-INFO": "",
        ".brain-answers.yml": "origin: {kind: template}\n",
    }
    for rel, text in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (project / "data" / "blob.bin").write_bytes(b"\x00\x01churn-model\x00")
    (project / "data" / "latest.csv").symlink_to("train.csv")
    other = root / "analytics" / "reporting"
    other.mkdir(parents=True)
    (other / "onebrain.yml").write_text("name: reporting\nversion: 1.0.0\nnamespace: analytics\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "workspace", cwd=root)
    return root


def _traces(root: Path) -> list[str]:
    """Every mention of the old name outside the answers file and git's own data."""
    found = []
    pattern = re.compile(r"churn[-_ .]?model", re.IGNORECASE)
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".git/") or rel == ".git" or rel == ".brain-answers.yml":
            continue
        if pattern.search(rel):
            found.append(f"path {rel}")
        if path.is_file() and not path.is_symlink() and pattern.search(
                path.read_bytes().decode("utf-8", "replace")) and rel != "data/blob.bin":
            found.append(f"content {rel}")
    return found


def test_copy_from_a_workspace_name(brain, workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "new-model"
    result = brain("generate", "--no-input", "--project", "prototypes/churn-model",
                   str(target), cwd=workspace / "analytics")
    assert result.exit_code == 0, result.output
    assert "from project prototypes/churn-model" in result.stdout

    assert _traces(target) == []
    spec = yaml.safe_load((target / "onebrain.yml").read_text())
    assert spec["name"] == "new-model"
    assert spec["version"] == "0.1.0"
    assert spec["namespace"] == "prototypes"
    assert spec["description"] == "The new-model predicts churn for New Model customers."
    assert spec["entry_points"]["fit"]["module"] == "new_model.fit"
    assert (target / "src" / "new_model" / "fit.py").read_text().endswith(
        "class NewModelTrainer:\n    name = 'new-model'\n")
    assert (target / "src" / "new_model" / "__init__.py").read_text() == (
        "NEW_MODEL_VERSION = 1\n__version__ = '0.1.0'\n")
    assert (target / "pyproject.toml").read_text() == (
        '[project]\nname = "new-model"\nversion = "0.1.0"\n')
    assert (target / "README.md").read_text().startswith("# new-model\n\nNew Model: ")
    assert (target / "tests" / "test_new_model.py").is_file()
    assert (target / "data" / "train.csv").read_text() == "a,b\n1,2\n"
    assert (target / "data" / "blob.bin").read_bytes() == b"\x00\x01churn-model\x00"  # binary
    assert os.readlink(target / "data" / "latest.csv") == "train.csv"

    for gone in (".brain", ".venv", "env2", "src/new_model/__pycache__", ".pytest_cache",
                 "models", "reports", "dist", "new_model.egg-info", "churn_model.egg-info"):
        assert not (target / gone).exists(), gone
    assert ".brain/" in (target / ".gitignore").read_text()
    assert brain("validate", str(target)).exit_code == 0

    answers = yaml.safe_load((target / ".brain-answers.yml").read_text())
    origin = answers["origin"]
    assert origin["kind"] == "project"
    assert origin["source"] == "prototypes/churn-model"
    assert origin["name"] == "prototypes/churn-model"
    assert origin["version"] == "2.4.1"
    assert origin["commit"] == git("rev-parse", "HEAD", cwd=workspace)
    assert origin["dirty"] is False
    assert answers["answers"]["name"] == "new-model"
    assert answers["answers"]["description"] == spec["description"]  # renamed, as written

    assert git("rev-list", "--count", "HEAD", cwd=target) == "1"  # its own, fresh history
    assert "workspace" not in git("log", "--format=%s", cwd=target)


def test_copy_inside_the_workspace_does_not_nest_a_repository(brain, workspace: Path) -> None:
    result = brain("generate", "--no-input", "--project", "churn-model", "--name", "churn-v2",
                   "--namespace", "models", "prototypes/churn-v2", cwd=workspace)
    assert result.exit_code == 0, result.output
    target = workspace / "prototypes" / "churn-v2"
    assert not (target / ".git").exists()
    assert "no nested repository" in result.stderr
    spec = yaml.safe_load((target / "onebrain.yml").read_text())
    assert (spec["name"], spec["namespace"]) == ("churn-v2", "models")
    assert (target / "src" / "churn_v2").is_dir()


def test_copy_from_a_path_with_new_metadata(brain, workspace: Path, tmp_path: Path) -> None:
    source = workspace / "prototypes" / "churn-model"
    before = snapshot(source)
    result = brain("generate", "--no-input", "--project", str(source), "--name", "fresh",
                   "--description", "Fresh: start", "--author", "New Owner <new@example.com>",
                   "--no-git", str(tmp_path / "fresh"))
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load((tmp_path / "fresh" / "onebrain.yml").read_text())
    assert spec["description"] == "Fresh: start"
    assert spec["authors"] == ["New Owner <new@example.com>"]
    assert not (tmp_path / "fresh" / ".git").exists()
    assert snapshot(source) == before  # the original is never touched


@pytest.fixture
def bare_repository(workspace: Path, tmp_path: Path) -> Path:
    """The churn-model project alone, pushed to a bare repository, with a tag v1."""
    source = workspace / "prototypes" / "churn-model"
    alone = tmp_path / "alone"
    alone.mkdir()
    for rel in ("src", "tests", "data"):
        shutil.copytree(source / rel, alone / rel, symlinks=True)
    for rel in ("onebrain.yml", "README.md"):
        shutil.copy2(source / rel, alone / rel)
    git("init", "-q", cwd=alone)
    git("add", "-A", cwd=alone)
    git("commit", "-qm", "v1", cwd=alone)
    git("tag", "v1", cwd=alone)
    (alone / "README.md").write_text("# churn-model\n\nsecond version\n")
    git("commit", "-qam", "v2", cwd=alone)
    bare = tmp_path / "remote.git"
    git("clone", "-q", "--bare", str(alone), str(bare), cwd=tmp_path)
    return bare


def test_copy_from_a_git_url_at_a_ref(brain, bare_repository: Path, tmp_path: Path) -> None:
    url = bare_repository.as_uri()
    result = brain("generate", "--no-input", "--project", url, "--ref", "v1", "--name",
                   "cloned", str(tmp_path / "cloned"))
    assert result.exit_code == 0, result.output
    target = tmp_path / "cloned"
    assert "second version" not in (target / "README.md").read_text()
    assert _traces(target) == []
    origin = yaml.safe_load((target / ".brain-answers.yml").read_text())["origin"]
    assert origin["url"] == url and origin["ref"] == "v1"
    assert origin["commit"] == git("rev-parse", "v1^{commit}", cwd=bare_repository)

    latest = brain("generate", "--no-input", "--project", url, "--name", "latest",
                   str(tmp_path / "latest"))
    assert latest.exit_code == 0, latest.output
    assert "second version" in (tmp_path / "latest" / "README.md").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--ref", "--upload-pack=touch pwned"], "invalid git ref"),
    (["--ref", "no-such-branch"], "no branch, tag or commit"),
])
def test_bad_git_refs_are_refused(brain, bare_repository: Path, tmp_path: Path,
                                  args: list[str], message: str) -> None:
    before = snapshot(tmp_path)
    result = brain("generate", "--no-input", "--project", bare_repository.as_uri(), *args,
                   "--name", "x", str(tmp_path / "x"), cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("source", [
    "--upload-pack=touch pwned",
    "ext::sh -c touch% pwned",
    "-oProxyCommand=touch pwned",
])
def test_hostile_project_sources_run_nothing(brain, tmp_path: Path, source: str) -> None:
    before = snapshot(tmp_path)
    result = brain("generate", "--no-input", f"--project={source}", "--name", "x",
                   str(tmp_path / "x"), cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "pwned").exists()


def test_unknown_and_ambiguous_workspace_names(brain, workspace: Path) -> None:
    result = brain("generate", "--no-input", "--project", "churn-modle", "--name", "x",
                   cwd=workspace)
    assert result.exit_code == 2
    assert "no project 'churn-modle'" in result.stderr and "churn-model" in result.stderr
    clash = workspace / "other" / "churn"
    clash.mkdir(parents=True)
    (clash / "onebrain.yml").write_text("name: churn-model\nversion: 1.0.0\nnamespace: other\n")
    result = brain("generate", "--no-input", "--project", "churn-model", "--name", "x",
                   cwd=workspace)
    assert result.exit_code == 2
    assert "matches several projects" in result.stderr
    assert "other/churn-model" in result.stderr and "prototypes/churn-model" in result.stderr


def test_target_inside_the_source_is_refused(brain, workspace: Path) -> None:
    source = workspace / "prototypes" / "churn-model"
    result = brain("generate", "--no-input", "--project", ".", "--name", "inner", "sub",
                   cwd=source)
    assert result.exit_code == 2
    assert "cannot be inside the project it copies" in result.stderr
    assert not (source / "sub").exists()


def test_an_invalid_source_project_is_refused(brain, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "onebrain.yml").write_text("name: broken\nversion: 1\nbogus: true\n")
    result = brain("generate", "--no-input", "--project", str(broken), "--name", "x",
                   str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "bogus" in result.stderr
    assert not (tmp_path / "x").exists()


def test_a_name_taken_in_the_workspace_is_refused(brain, workspace: Path) -> None:
    before = snapshot(workspace)
    result = brain("generate", "--no-input", "--project", "churn-model", "--name", "reporting",
                   "--namespace", "analytics", "elsewhere/reporting", cwd=workspace)
    assert result.exit_code == 2, result.output
    assert "already has a project analytics/reporting" in result.stderr
    result = brain("generate", "--no-input", "--name", "churn-model", "--namespace",
                   "prototypes", "new/churn", cwd=workspace)
    assert result.exit_code == 2 and "already has a project" in result.stderr
    assert snapshot(workspace) == before


def test_linked_state_is_skipped_and_big_data_copied_as_is(brain, tmp_path: Path) -> None:
    source = tmp_path / "small"
    (source / "data").mkdir(parents=True)
    (source / "onebrain.yml").write_text(
        "name: small\nversion: 3.0.0\ndescription: |\n  two\n  lines\n"
        "entry_points:\n  go:\n    command: echo\n    outputs: [./out/]\n"
        "env:\n  python:\n    version: 3.11.4\n")
    (source / "out").mkdir()
    (source / "out" / "result.txt").write_text("made by a run\n")
    outside_venv = tmp_path / "venvs" / "small"
    outside_venv.mkdir(parents=True)
    (outside_venv / "pyvenv.cfg").write_text("home = /usr\n")
    (source / ".venv").symlink_to(outside_venv)
    big = b"small " * 1_000_000
    (source / "data" / "big.txt").write_bytes(big)
    result = brain("generate", "--no-input", "--project", str(source), "--name", "large",
                   str(tmp_path / "large"))
    assert result.exit_code == 0, result.output
    assert not os.path.lexists(tmp_path / "large" / ".venv")
    assert (tmp_path / "large" / "data" / "big.txt").read_bytes() == big
    assert not (tmp_path / "large" / "out").exists()
    spec = yaml.safe_load((tmp_path / "large" / "onebrain.yml").read_text())
    assert spec["description"] == "two\nlines\n"  # kept as written
    assert spec["env"]["python"]["version"] == "3.11.4"
