"""Finding projects in a folder tree (a monorepo workspace)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from brain.paths import SPEC_FILENAMES

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
