"""Putting a rendered project in place: staged next to the target, then moved in.

Nothing is written to the target until everything rendered; a non-empty target is refused
unless forced, and a forced merge that fails midway puts back every file it replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brain.errors import InvalidInput


def check_target(target: Path, *, force: bool) -> None:
    """Refuse a target that is a file, or a non-empty folder without `force`."""
    if target.is_symlink() and not target.exists():
        raise InvalidInput(f"{target}: is a broken symlink")
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InvalidInput(
            f"{target}: folder exists and is not empty",
            hint="choose another folder, or pass --force to add the project's files to it "
                 "(files it does not have are kept)")


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A fresh folder beside `target` (same filesystem, so moves are renames), removed after."""
    created = _make_parents(target.parent)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".brain-tmp",
                                        dir=target.parent))
    except OSError as error:
        _remove_empty(created)
        raise InvalidInput(f"cannot write in {target.parent}: {error.strerror}") from None
    # mkdtemp makes a private folder; the project should get the usual permissions
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(staging, 0o777 & ~mask)
    try:
        yield staging
    except BaseException:
        _remove_empty(created)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into_place(staging: Path, target: Path) -> list[Path]:
    """Move the staged project to `target`; returns the files that replaced existing ones."""
    if not target.exists():
        os.rename(staging, target)
        return []
    # an existing folder is filled file by file, never swapped: it may be a shell's cwd
    return _merge(staging, target)


def _merge(staging: Path, target: Path) -> list[Path]:
    entries = sorted(_entries(staging))
    root = Path(os.path.realpath(target))
    for rel in entries:  # every conflict is found before anything moves
        _check_destination(root, rel)
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".brain-backup",
                                   dir=target.parent))
    placed: list[Path] = []
    saved: list[str] = []
    made: list[Path] = []
    try:
        for rel in entries:
            destination = root / rel
            made += _make_parents(destination.parent)
            if os.path.lexists(destination):
                (backup / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(destination, backup / rel)
                saved.append(rel)
            os.replace(staging / rel, destination)
            placed.append(destination)
    except BaseException:
        for destination in reversed(placed):
            destination.unlink()
        for rel in saved:
            os.replace(backup / rel, root / rel)
        _remove_empty(made)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    return [root / rel for rel in saved]


def staged_files(staging: Path) -> list[str]:
    """Files and symlinks under `staging`, relative and sorted (folders are implied)."""
    return sorted(_entries(staging))


def is_empty_folder(target: Path) -> bool:
    """True when `target` does not exist yet or is an empty folder."""
    return not target.exists() or (target.is_dir() and not any(target.iterdir()))


def _entries(staging: Path) -> Iterator[str]:
    for directory, subdirs, files in os.walk(staging, followlinks=False):
        base = Path(directory)
        # os.walk lists a symlink to a folder among subdirs; it moves like a file
        for name in [*(d for d in subdirs if (base / d).is_symlink()), *files]:
            yield (base / name).relative_to(staging).as_posix()


def _check_destination(root: Path, rel: str) -> None:
    current = root
    parts = rel.split("/")
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise InvalidInput(f"{root / rel}: {current} is a symlink in the target; refusing "
                               "to write through it", hint="remove the link or choose another "
                               "folder")
        if current.exists() and not current.is_dir():
            raise InvalidInput(f"{root / rel}: {current} is a file in the target, but the "
                               "project needs a folder there")
    destination = root / rel
    if destination.is_dir() and not destination.is_symlink():
        raise InvalidInput(f"{destination}: is a folder in the target, but the project has a "
                           "file there")


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; returns the ones created, deepest first."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"cannot create {folder}: {error.strerror}") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            continue
