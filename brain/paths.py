"""Every filesystem location brain uses, each overridable by an environment variable
(declared, with its documentation, in brain.settings)."""

from __future__ import annotations

import os
from pathlib import Path

from brain import settings

SPEC_FILENAMES = ("onebrain.yml", "onebrain.yaml")


def brain_home() -> Path:
    """User state root: `BRAIN_HOME`, default `~/.brain`."""
    return settings.path("BRAIN_HOME") or Path.home() / ".brain"


def default_store() -> Path:
    """The run store when neither `BRAIN_STORE` nor the `store` setting names one
    (brain.store.location decides which is in force)."""
    return brain_home() / "brain.db"


def hub_dir() -> Path:
    """The hub's state: `BRAIN_HOME/hub` (launch history, logs, accounts)."""
    return brain_home() / "hub"


def config_path() -> Path:
    """The user settings file: `BRAIN_CONFIG`, default `BRAIN_HOME/config.toml`."""
    return settings.path("BRAIN_CONFIG") or brain_home() / "config.toml"


def cache_dir() -> Path:
    """Caches (package cache, fetched repositories): `BRAIN_CACHE_DIR`."""
    return settings.path("BRAIN_CACHE_DIR") or brain_home() / "cache"


def index_dir() -> Path:
    """The local package index `brain publish` writes: `BRAIN_INDEX_DIR`."""
    return settings.path("BRAIN_INDEX_DIR") or brain_home() / "index"


def template_dirs() -> list[Path]:
    """Folders of user templates: `BRAIN_TEMPLATES_PATH` (os.pathsep-separated), in order."""
    return settings.paths("BRAIN_TEMPLATES_PATH")


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
    """The spec file in `directory`, or None.

    Whatever is there under a spec's name counts (a FIFO, a link, a device) except a folder:
    reading it (`brain.inputfs`) then says why it is refused, instead of brain quietly
    taking a parent folder's spec.
    """
    for name in SPEC_FILENAMES:
        candidate = directory / name
        if os.path.lexists(candidate) and not candidate.is_dir():
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
