"""Hostile repositories for the state tests: a real git repository whose committed `.brain/`
holds symlinks to victim files and folders outside it, and the victims to check afterwards."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

SPEC = """\
name: hostile
version: 0.1.0
entry_points:
  main:
    type: bash
    command: echo hello
"""
SENTINEL = b"the victim's own bytes\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Victims:
    """A folder and a file outside every project, with known content."""

    folder: Path
    file: Path

    @classmethod
    def make(cls, base: Path) -> Victims:
        folder = base / "victim-folder"
        (folder / "deep").mkdir(parents=True)
        for name in ("precious.txt", "deep/more.txt", "venv-000000000000-000000"):
            (folder / name).write_bytes(SENTINEL + name.encode())
        (folder / ".brain-state").write_bytes(SENTINEL)  # a marker cannot be borrowed
        file = base / "victim.txt"
        file.write_bytes(SENTINEL)
        return cls(folder, file)

    def snapshot(self) -> dict[str, bytes | None]:
        """Every file of the folder and the file, byte for byte (None for folders)."""
        seen: dict[str, bytes | None] = {"<file>": self.file.read_bytes()}
        for path in sorted(self.folder.rglob("*")):
            rel = path.relative_to(self.folder).as_posix()
            seen[rel] = None if path.is_dir() else path.read_bytes()
        seen["<mode>"] = oct(os.stat(self.folder).st_mode).encode()
        return seen


def commit_repository(root: Path, links: dict[str, Path | str],
                      files: dict[str, str] | None = None) -> str:
    """A git repository at `root`: the spec, `files` and the symlinks `links` (relative path ->
    target), committed (force-added: `.brain/` is usually ignored). Returns the commit."""
    root.mkdir(parents=True)
    git(root, "init", "--quiet")
    (root / "onebrain.yml").write_text(SPEC)
    for relative, text in (files or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    for relative, target in links.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / relative)
    git(root, "add", "--force", "-A")
    git(root, "commit", "--quiet", "-m", "a helpful project")
    return git(root, "rev-parse", "HEAD")


def clone(source: Path, target: Path) -> Path:
    """What a user does with a repository: `git clone` it."""
    git(source.parent, "clone", "--quiet", str(source), str(target))
    return target
