"""`brain ci init`: generated workflow files parse and satisfy their CI system's schema."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pytest
import yaml

from tests.workspace.helpers import git


def schema(name: str) -> dict:
    """A CI system's JSON schema, as vendored by check-jsonschema."""
    check_jsonschema = pytest.importorskip("check_jsonschema")
    folder = resources.files(check_jsonschema) / "builtin_schemas" / "vendor"
    return json.loads((folder / f"{name}.json").read_text())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet")
    return root


def test_github_workflow_is_valid_and_calls_brain_ci_run(brain, repo: Path) -> None:
    import jsonschema

    done = brain("ci", "init", cwd=repo)
    assert done.exit_code == 0, done.output
    path = repo / ".github" / "workflows" / "brain-ci.yml"
    data = yaml.safe_load(path.read_text())
    jsonschema.validate(data, schema("github-workflows"))
    assert set(data["on"]) >= {"push", "pull_request"}  # "on", not YAML 1.1's True
    (job,) = data["jobs"].values()
    assert job["runs-on"]
    steps = job["steps"]
    assert all(("uses" in step) != ("run" in step) for step in steps)
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["fetch-depth"] == 0  # the base ref must be in the clone
    runs = [step for step in steps if "run" in step]
    (ci_step,) = [step for step in runs if step["run"].startswith("brain ci run")]
    assert set(ci_step["env"]) == {"BRAIN_CI_SINCE", "BRAIN_CI_BRANCH"}
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert ".brain-cache" in cache["with"]["path"] and "hashFiles(" in cache["with"]["key"]
    assert job["env"]["BRAIN_CACHE_DIR"].endswith(".brain-cache")


def test_gitlab_pipeline_is_valid_and_reports_junit(brain, repo: Path) -> None:
    import jsonschema

    done = brain("ci", "init", "--provider", "gitlab", cwd=repo)
    assert done.exit_code == 0, done.output
    data = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    jsonschema.validate(data, schema("gitlab-ci"))
    job = data["brain-ci"]
    assert job["stage"] in data["stages"]
    assert job["script"][-1].startswith("brain ci run")
    assert set(job["variables"]) == {"BRAIN_CI_SINCE", "BRAIN_CI_BRANCH"}
    assert job["artifacts"]["reports"]["junit"] == "junit.xml"
    assert data["variables"]["GIT_DEPTH"] == "0"


def test_an_existing_file_is_kept_unless_forced(brain, repo: Path) -> None:
    path = repo / ".gitlab-ci.yml"
    path.write_text("mine: true\n")
    refused = brain("ci", "init", "--provider", "gitlab", cwd=repo)
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert path.read_text() == "mine: true\n"
    assert brain("ci", "init", "--provider", "gitlab", "--force", cwd=repo).exit_code == 0
    assert "brain-ci" in yaml.safe_load(path.read_text())


def test_a_symlinked_workflow_is_never_written_through(brain, repo: Path,
                                                       tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    os.symlink(victim, repo / ".gitlab-ci.yml")
    done = brain("ci", "init", "--provider", "gitlab", "--force", cwd=repo)
    assert done.exit_code == 2
    assert victim.read_text() == "keep\n"


def test_an_unknown_provider_is_refused(brain, repo: Path) -> None:
    assert brain("ci", "init", "--provider", "jenkins", cwd=repo).exit_code == 2
