"""`brain data add|push|pull|status`, and the pulls that runs and checkouts make.

Every operation opens the project's store (brain.data.store), works on the datasets the
spec declares (brain.data.datasets) and talks to remotes through brain.data.remotes.
Progress goes to an fsspec callback the CLI renders; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.data.datasets import TrackedDataset, datasets_of, refuse_links_inside
from brain.data.pointer import Pointer, read_pointer, render_pointer
from brain.errors import BrainError, InvalidInput

if TYPE_CHECKING:
    from dvc_data.hashfile.db import HashFileDB
    from fsspec.callbacks import Callback

    from brain.data.store import Store
    from brain.spec.loader import Project


@dataclass(frozen=True)
class Added:
    """What `add` did."""

    name: str
    path: str
    pointer: Pointer
    declared: bool  # the spec gained the dataset


@dataclass(frozen=True)
class Moved:
    """One dataset pushed or pulled: objects copied and whether the project got it."""

    name: str
    remote: str
    copied: int
    checked_out: bool = False


@dataclass(frozen=True)
class DatasetStatus:
    """Where one dataset stands."""

    name: str
    path: str
    remote: str | None
    recorded: str | None  # the pointer's md5 (the version git holds)
    current: str | None  # the md5 of the bytes in the project
    cached: bool
    pushed: bool | None  # None: no remote, or it was not asked

    @property
    def problems(self) -> list[str]:
        """missing, changed, not added, not cached, not pushed; empty when up to date."""
        found = []
        if self.recorded is None:
            found.append("not added")
        elif self.current is None:
            found.append("missing")
        elif self.current != self.recorded:
            found.append("changed")
        if self.recorded is not None and not self.cached:
            found.append("not cached")
        if self.recorded is not None and self.pushed is False:
            found.append("not pushed")
        return found

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "path": self.path, "remote": self.remote,
                "recorded": self.recorded, "current": self.current, "cached": self.cached,
                "pushed": self.pushed, "problems": self.problems}


@contextmanager
def opened(root: Path) -> Iterator[Store]:
    """The project's store, closed after the block."""
    from brain.data.store import open_store
    from brain.extras import require_extra

    require_extra("data", "brain data")
    store = open_store(root)
    try:
        yield store
    finally:
        store.close()


def add(project: Project, path: Path, *, name: str | None = None, remote: str | None = None,
        callback: Callback | None = None) -> Added:
    """Track the file or folder `path`: its bytes into the cache, its pointer file written,
    the dataset declared in the spec and ignored by git."""
    from brain.data.datasets import locate, relative_to_project
    from brain.data.spec_edit import declare_dataset, ignore_in_git
    from brain.data.store import build
    from brain.spec.data_models import DATA_NAME_PATTERN
    from brain.statefs import write_atomic

    root = project.root
    relative = relative_to_project(path, root)
    location = locate(root, relative)
    if not location.exists():
        raise InvalidInput(f"{relative} does not exist", hint="give a file or folder to track")
    refuse_links_inside(location, root)
    declared = {dataset.path: known for known, dataset in project.spec.data.datasets.items()}
    name = name or declared.get(relative) or _name_for(location)
    import re

    if not re.fullmatch(DATA_NAME_PATTERN, name):
        raise InvalidInput(f"{name!r} is not a valid dataset name",
                           hint="pass --name with letters, digits, '.', '_' or '-'")
    if remote is not None and remote not in project.spec.data.remotes:
        known = ", ".join(project.spec.data.remotes) or "none"
        raise InvalidInput(f"no remote named {remote!r} under data.remotes (declared: {known})")
    with opened(root) as store:
        pointer = build(store, location, save=True, callback=callback)
    write_atomic(location.with_name(location.name + ".dvc"), render_pointer(pointer))
    ignore_in_git(location)
    changed = declare_dataset(project.spec_file, name, relative, remote)
    return Added(name, relative, pointer, changed)


def _name_for(location: Path) -> str:
    import re

    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", location.name).strip("-._")[:64]
    return cleaned or "data"


def status(project: Project, names: tuple[str, ...] = (), *, remote: bool = True
           ) -> list[DatasetStatus]:
    """Where each dataset stands: in the project, in the cache, on its remote."""
    from brain.data.store import current_md5, in_cache, missing_objects

    found: list[DatasetStatus] = []
    datasets = datasets_of(project.root, project.spec.data, names)
    with opened(project.root) as store:
        remotes = _Remotes(project) if remote else None
        for dataset in datasets:
            pointer = read_pointer(dataset.location, project.root)
            refuse_links_inside(dataset.location, project.root)
            current = current_md5(store, dataset.location)
            recorded = pointer.md5 if pointer else None
            pushed: bool | None = None
            if remotes is not None and recorded is not None and dataset.remote is not None:
                pushed = _guarded(dataset.remote, lambda db, md5=recorded: (
                    missing_objects(db, md5) == []), remotes.get(dataset.remote))
            found.append(DatasetStatus(
                dataset.name, dataset.path, dataset.remote, recorded, current,
                recorded is not None and in_cache(store, recorded), pushed))
    return found


def push(project: Project, names: tuple[str, ...] = (),
         callback: Callback | None = None) -> list[Moved]:
    """Copy the recorded version of each dataset (verified) from the cache to its remote."""
    from brain.data.store import transfer_objects, verify

    moved: list[Moved] = []
    remotes = _Remotes(project)
    with opened(project.root) as store:
        for dataset, pointer in _recorded(project, names):
            remote = _remote_name(dataset)
            verify(store, pointer.md5, dataset.name)  # never spread a damaged blob
            db = remotes.get(remote)
            copied, failed = _guarded(remote, lambda db, md5=pointer.md5: transfer_objects(
                store.cache, db, [md5], verify_hashes=False, callback=callback), db)
            if failed:
                raise _remote_failure(remote, dataset.name, failed, "pushed")
            moved.append(Moved(dataset.name, remote, copied))
    return moved


def pull(project: Project, names: tuple[str, ...] = (), callback: Callback | None = None,
         *, only_missing: bool = False) -> list[Moved]:
    """Fetch the recorded version of each dataset into the cache (every object checked
    against its hash) and check it out into the project.

    With `only_missing`, datasets already in the project are left as they are (what a run
    does: the user's own changes are the data it runs on).
    """
    moved: list[Moved] = []
    remotes = _Remotes(project)
    with opened(project.root) as store:
        for dataset, pointer in _recorded(project, names):
            if only_missing and dataset.location.exists():
                continue
            moved.append(_fetch(store, remotes, dataset, pointer.md5, callback))
    return moved


def _fetch(store: Store, remotes: _Remotes, dataset: TrackedDataset, md5: str,
           callback: Callback | None) -> Moved:
    from brain.data.store import checkout, in_cache, missing_objects, transfer_objects

    copied = 0
    remote = "the cache"
    if not in_cache(store, md5):
        remote = _remote_name(dataset)
        db = remotes.get(remote)
        copied, failed = _guarded(remote, lambda db: transfer_objects(
            db, store.cache, [md5], verify_hashes=True, callback=callback), db)
        missing = missing_objects(store.cache, md5)
        if failed or missing != []:
            raise _remote_failure(remote, dataset.name, failed or len(missing or [md5]),
                                  "fetched intact (missing on the remote, or damaged there: "
                                  "a copy that does not match its hash is refused)")
    checkout(store, dataset.location, md5, dataset.name, callback=callback)
    return Moved(dataset.name, remote, copied, True)


def pull_inputs(project: Project, inputs: tuple[str, ...] | None,
                callback: Callback | None = None) -> list[Moved]:
    """Pull the datasets that `inputs` (paths; None: every entry point's) need and the
    project lacks; a project without datasets costs nothing."""
    from brain.data.versions import touching

    paths = {name: dataset.path for name, dataset in project.spec.data.datasets.items()}
    if not paths:
        return []
    if inputs is None:
        inputs = tuple(path for entry in project.spec.entry_points.values()
                       for path in entry.inputs)
    needed = touching(paths, inputs)
    if not needed:
        return []
    return pull(project, tuple(needed), callback, only_missing=True)


def restore_versions(project: Project, versions: Mapping[str, str],
                     callback: Callback | None = None) -> list[Moved]:
    """Put each dataset back at the version given (name -> md5: a run record's `data`),
    from the cache or its remote. Datasets the spec no longer declares are skipped."""
    restored: list[Moved] = []
    declared = project.spec.data.datasets
    remotes = _Remotes(project)
    with opened(project.root) as store:
        for dataset in datasets_of(project.root, project.spec.data,
                                   tuple(name for name in versions if name in declared)):
            restored.append(_fetch(store, remotes, dataset, versions[dataset.name], callback))
    return restored


def unsaved(project: Project, names: tuple[str, ...]) -> list[str]:
    """The datasets among `names` whose copy in the project has changes in no cache (a
    restore would lose them)."""
    from brain.data.store import current_md5, in_cache

    found = []
    declared = tuple(name for name in names if name in project.spec.data.datasets)
    with opened(project.root) as store:
        for dataset in datasets_of(project.root, project.spec.data, declared):
            now = current_md5(store, dataset.location)
            if now is not None and not in_cache(store, now):
                found.append(dataset.name)
    return found


def _recorded(project: Project, names: tuple[str, ...]
              ) -> Iterator[tuple[TrackedDataset, Pointer]]:
    for dataset in datasets_of(project.root, project.spec.data, names):
        pointer = read_pointer(dataset.location, project.root)
        if pointer is None:
            if names:
                raise InvalidInput(f"dataset {dataset.name!r} has no pointer file "
                                   f"({dataset.path}.dvc)",
                                   hint=f"`brain data add {dataset.path}` first")
            continue
        yield dataset, pointer


def _remote_name(dataset: TrackedDataset) -> str:
    if dataset.remote is None:
        raise InvalidInput(f"dataset {dataset.name!r} has no remote",
                           hint="declare one under data.remotes and name it in the dataset's "
                           "`remote:` (one remote, or one named `default`, is used by all)")
    return dataset.remote


class _Remotes:
    """Remote object databases, each opened once, on first use."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._open: dict[str, HashFileDB] = {}

    def get(self, name: str) -> HashFileDB:
        from brain.data.remotes import open_remote

        if name not in self._open:
            remote = self._project.spec.data.remotes[name]
            self._open[name] = _guarded(name, lambda _: open_remote(
                name, remote, self._project.root), None)
        return self._open[name]


def _guarded(remote: str, work: Any, db: Any) -> Any:
    """`work(db)`, with the libraries' network and permission errors as one line naming
    the remote (exit 3)."""
    from brain.data.remotes import remote_error

    try:
        return work(db)
    except BrainError:
        raise
    except Exception as error:  # botocore, asyncssh, OSError: all "the remote failed"
        raise remote_error(remote, error) from error


def _remote_failure(remote: str, dataset: str, count: int, what: str) -> BrainError:
    from brain.data.remotes import RemoteUnavailable

    return RemoteUnavailable(f"dataset {dataset!r}: {count} object(s) could not be {what} "
                             f"(remote {remote!r})", hint="run the command again; what "
                             "arrived intact is kept")
