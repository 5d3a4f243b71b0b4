"""Helpers for the scaffolding tests: git inspection and folder snapshots."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path


def git(*args: str, cwd: Path) -> str:
    """Run git in `cwd` and return its stdout (tests inspect repositories with the real git)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under `root` (symlinks not followed) with a digest of what it is."""
    found: dict[str, str] = {}
    for directory, subdirs, files in os.walk(root):
        for name in [*subdirs, *files]:
            path = Path(directory, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                found[rel] = "dir"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


MINIMAL_SPEC = """\
name: {{ name }}
version: 0.1.0
entry_points:
  main:
    type: shell
    command: echo hi
"""
