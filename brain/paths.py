"""Every filesystem location brain uses, each overridable by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

SPEC_FILENAMES = ("onebrain.yml", "onebrain.yaml")


def brain_home() -> Path:
    """User state root: `BRAIN_HOME`, default `~/.brain`."""
    return Path(os.environ.get("BRAIN_HOME") or Path.home() / ".brain")


def store_path() -> Path:
    """The SQLite run store: `BRAIN_STORE`, default `BRAIN_HOME/brain.db`."""
    return Path(os.environ.get("BRAIN_STORE") or brain_home() / "brain.db")


def config_path() -> Path:
    """The user settings file: `BRAIN_CONFIG`, default `BRAIN_HOME/config.toml`."""
    return Path(os.environ.get("BRAIN_CONFIG") or brain_home() / "config.toml")


def cache_dir() -> Path:
    """Caches (package cache, fetched repositories): `BRAIN_CACHE_DIR`."""
    return Path(os.environ.get("BRAIN_CACHE_DIR") or brain_home() / "cache")


def project_state_dir(project_dir: Path) -> Path:
    """Per-project state (venv, stamps, run logs), git-ignored: `<project>/.brain`."""
    return project_dir / ".brain"


def project_venv_dir(project_dir: Path) -> Path:
    """The project's virtual environment (a symlink switched atomically to the current build)."""
    return project_state_dir(project_dir) / "venv"


def project_lock_file(project_dir: Path) -> Path:
    """The file lock that serialises commands changing a project's environment."""
    return project_state_dir(project_dir) / "lock"


def find_spec_file(directory: Path) -> Path | None:
    """The spec file in `directory`, or None."""
    for name in SPEC_FILENAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds a spec file."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if find_spec_file(directory) is not None:
            return directory
    return None


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)
