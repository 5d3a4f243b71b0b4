"""CI workflow files that install brain and call `brain ci run`: built as data and written with
yaml.safe_dump, so a value can never change the file's structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brain.errors import InvalidInput

PROVIDERS = ("github", "gitlab")
PATHS = {"github": ".github/workflows/brain-ci.yml", "gitlab": ".gitlab-ci.yml"}
PYTHON = "3.11"
INSTALL = "python -m pip install brain-cli"
CACHE_DIR = ".brain-cache"  # BRAIN_CACHE_DIR inside the checkout: the uv package cache
ENV_FOLDERS = "**/.brain/venv"  # each project's environment
# Environments are keyed by what decides their identity: the specs and the lock files.
IDENTITY_FILES = "'**/onebrain.yml', '**/onebrain.lock'"
# `brain ci run` treats an empty --since and git's all-zero SHA (a new branch) as "all".
# The base ref and branch come in BRAIN_CI_SINCE and BRAIN_CI_BRANCH (brain reads them).
RUN = "brain ci run --junit junit.xml"


def github_workflow() -> dict[str, Any]:
    """A GitHub Actions workflow: pushes and pull requests, the full history for the base."""
    return {
        "name": "brain ci",
        "on": {"push": {}, "pull_request": {}, "workflow_dispatch": {}},
        "jobs": {"brain-ci": {
            "runs-on": "ubuntu-latest",
            "env": {"BRAIN_CACHE_DIR": f"${{{{ github.workspace }}}}/{CACHE_DIR}",
                    "BRAIN_CI_MAIN_BRANCH": "${{ github.event.repository.default_branch }}"},
            "steps": [
                {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}},
                {"uses": "actions/setup-python@v5", "with": {"python-version": PYTHON}},
                {"name": "Cache packages and environments", "uses": "actions/cache@v4",
                 "with": {"path": f"{CACHE_DIR}\n{ENV_FOLDERS}\n",
                          "key": f"brain-${{{{ runner.os }}}}-${{{{ hashFiles({IDENTITY_FILES}) "
                                 "}}",
                          "restore-keys": "brain-${{ runner.os }}-"}},
                {"name": "Install brain", "run": INSTALL},
                {"name": "brain ci run", "run": RUN, "env": {
                    "BRAIN_CI_SINCE": "${{ github.event_name == 'pull_request' && "
                                      "format('origin/{0}', github.base_ref) || "
                                      "github.event.before }}",
                    "BRAIN_CI_BRANCH": "${{ github.head_ref || github.ref_name }}"}},
                {"name": "Test results", "if": "always()",
                 "uses": "actions/upload-artifact@v4",
                 "with": {"name": "junit", "path": "junit.xml"}},
            ],
        }},
    }


def gitlab_pipeline() -> dict[str, Any]:
    """A GitLab CI pipeline: one job in a `test` stage, JUnit shown in merge requests."""
    return {
        "stages": ["test"],
        "variables": {"GIT_DEPTH": "0", "BRAIN_CACHE_DIR": f"$CI_PROJECT_DIR/{CACHE_DIR}",
                      "BRAIN_CI_MAIN_BRANCH": "$CI_DEFAULT_BRANCH"},
        "brain-ci": {
            "stage": "test",
            "image": f"python:{PYTHON}",
            "cache": {"key": {"files": ["onebrain.lock", "brain-workspace.yml"]},
                      "paths": [f"{CACHE_DIR}/", ENV_FOLDERS]},
            "variables": {
                "BRAIN_CI_SINCE": "${CI_MERGE_REQUEST_DIFF_BASE_SHA}",
                "BRAIN_CI_BRANCH": "${CI_COMMIT_BRANCH}"},
            "script": [
                INSTALL,
                'if [ -z "$BRAIN_CI_SINCE" ]; then BRAIN_CI_SINCE="$CI_COMMIT_BEFORE_SHA"; fi',
                'if [ -z "$BRAIN_CI_BRANCH" ]; then '
                'BRAIN_CI_BRANCH="$CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"; fi',
                "export BRAIN_CI_SINCE BRAIN_CI_BRANCH",
                RUN],
            "artifacts": {"when": "always", "reports": {"junit": "junit.xml"}},
        },
    }


def workflow_text(provider: str) -> str:
    """The workflow file of `provider` as YAML text."""
    import yaml

    if provider not in PROVIDERS:
        raise InvalidInput(f"unknown CI provider {provider!r}", hint="github or gitlab")
    data = github_workflow() if provider == "github" else gitlab_pipeline()
    class Dumper(yaml.SafeDumper):
        """Multi-line strings as `|` blocks, as people write them."""

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    header = "# Written by `brain ci init`: every push runs `brain ci run` (docs/ci.md).\n"
    return header + yaml.dump(data, Dumper=Dumper, sort_keys=False, width=1000)


def write_workflow(root: Path, provider: str, *, force: bool = False) -> Path:
    """Write the workflow of `provider` under `root`; an existing file is kept unless `force`."""
    from brain.statefs import write_atomic

    text = workflow_text(provider)
    path = root / PATHS[provider]
    if path.is_symlink() or (path.exists() and not force):
        raise InvalidInput(f"{path} already exists",
                           hint="pass --force to replace it" if not path.is_symlink()
                           else "it is a symbolic link: remove it first")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return path
