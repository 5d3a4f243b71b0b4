"""A project's datasets located on disk, each checked to stay inside the project.

A dataset path comes from a spec someone else may have written: it must be relative, hold no
`..`, and no part of it (nor anything inside a dataset folder) may be a symlink, so hashing
never reads a host file into a push and a checkout never writes through a link.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from brain.errors import InvalidInput
from brain.spec.data_models import dataset_path_problem

if TYPE_CHECKING:
    from brain.spec.data_models import DataSection


@dataclass(frozen=True)
class TrackedDataset:
    """A dataset the spec declares, where it lives in the project."""

    name: str
    path: str  # relative to the project, POSIX
    location: Path
    remote: str | None

    @property
    def pointer_file(self) -> Path:
        """`<location>.dvc`."""
        from brain.data.pointer import pointer_file

        return pointer_file(self.location)


def datasets_of(root: Path, data: DataSection, names: tuple[str, ...] = ()
                ) -> list[TrackedDataset]:
    """The datasets of the spec (those named, when `names`), located and checked."""
    unknown = [name for name in names if name not in data.datasets]
    if unknown:
        declared = ", ".join(data.datasets) or "none"
        raise InvalidInput(f"no dataset named {unknown[0]!r} (declared: {declared})",
                           hint="`brain data add PATH` starts tracking one")
    return [TrackedDataset(name, dataset.path, locate(root, dataset.path), data.remote_of(name))
            for name, dataset in data.datasets.items() if not names or name in names]


def locate(root: Path, relative: str) -> Path:
    """`root/relative`, refused (InvalidInput) when it is not a plain path inside `root`."""
    problem = dataset_path_problem(relative)
    if problem:
        raise InvalidInput(f"dataset path {relative!r}: {problem}")
    current = root
    for part in PurePosixPath(relative).parts:
        current = current / part
        try:
            info = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            break  # not there yet (a pull puts it there)
        if stat.S_ISLNK(info.st_mode):
            raise InvalidInput(f"dataset path {relative!r}: {current.relative_to(root)} is a "
                               "symlink; brain never reads or writes datasets through one",
                               hint="replace the link with the file or folder itself")
    return root / relative


def refuse_links_inside(location: Path, root: Path) -> None:
    """InvalidInput when the folder `location` holds a symlink or something not a file."""
    if not location.is_dir():
        return
    for path in _walk(location):
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            raise InvalidInput(f"{path.relative_to(root)} is a symlink inside a dataset; "
                               "brain never follows one into a dataset",
                               hint="replace the link with the file itself")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise InvalidInput(f"{path.relative_to(root)} is not a regular file; a dataset "
                               "holds files and folders only")


def _walk(folder: Path) -> Iterator[Path]:
    for parent, folders, files in os.walk(folder, followlinks=False):
        for name in (*folders, *files):
            yield Path(parent, name)


def relative_to_project(path: Path, root: Path) -> str:
    """`path` (absolute or relative to the working folder) as a dataset path of `root`."""
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        relative = absolute.relative_to(Path(os.path.normpath(root.absolute())))
    except ValueError:
        raise InvalidInput(f"{path} is not inside the project {root}",
                           hint="datasets live inside their project's folder") from None
    return relative.as_posix()
