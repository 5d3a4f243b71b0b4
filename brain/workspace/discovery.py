"""Finding a workspace's root and its projects' spec files in a folder tree."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from brain.paths import SPEC_FILENAMES

WORKSPACE_FILENAME = "brain-workspace.yml"

SKIPPED_DIRS = frozenset(
    {".git", ".brain", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
     ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages"}
)


def discover_spec_files(root: Path) -> Iterator[Path]:
    """Every spec file under `root`, skipping VCS, state, virtualenv and dependency folders."""
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(
            d for d in subdirs
            if d not in SKIPPED_DIRS
            and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
        )
        for name in SPEC_FILENAMES:
            if name in files:
                yield Path(directory, name)
                break


def find_workspace_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `brain-workspace.yml`, else the git
    root, else `start` itself."""
    start = start.resolve()
    candidates = (start, *start.parents)
    for directory in candidates:
        if (directory / WORKSPACE_FILENAME).is_file():
            return directory
    for directory in candidates:
        if (directory / ".git").exists():
            return directory
    return start


def included(relative: str, projects: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Whether folder `relative` matches one of `projects` and none of `exclude`."""
    return (any(glob_match(pattern, relative) for pattern in projects)
            and not any(glob_match(pattern, relative) for pattern in exclude))


def glob_match(pattern: str, relative: str) -> bool:
    """Whether folder `relative` (POSIX, "." for the root) matches `pattern`: segments are
    fnmatch patterns, and `**` spans any number of folders (none included)."""
    parts = [] if relative == "." else relative.split("/")
    wanted = [p for p in pattern.strip("/").split("/") if p not in ("", ".")]
    return _match_parts(wanted, parts)


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


def relative_folder(folder: Path, root: Path) -> str:
    """`folder` relative to `root`, POSIX form ("." for the root)."""
    relative = PurePosixPath(Path(os.path.relpath(folder, root)).as_posix())
    return str(relative)
