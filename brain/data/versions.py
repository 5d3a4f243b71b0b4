"""Which version of each dataset a run saw: dataset name -> the md5 of its content.

Read by the run core (recorded under `data` in every run's record), by `brain runs diff`
("data differ: train") and by `brain checkout` / `brain runs reproduce`, which put those
versions back (brain.data.service.restore_versions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.spec.loader import Project
    from brain.spec.models import Spec


def dataset_versions(project: Project, spec: Spec) -> dict[str, str]:
    """Dataset name -> content hash (md5, `.dir` for a folder) of each dataset present in
    `project` now; absent datasets are left out."""
    return versions_at(project.root, {name: dataset.path
                                      for name, dataset in spec.data.datasets.items()})


def versions_at(root: Path, datasets: Mapping[str, str]) -> dict[str, str]:
    """`dataset_versions` for a mapping of dataset name -> path (the run path's form).

    Unchanged files are not hashed again (dvc-data's hash state), so a run pays a `stat`
    per file. Empty when the data extra is not installed: runs still run, unrecorded.
    """
    if not datasets:
        return {}
    from brain.extras import missing_modules

    if missing_modules("data"):
        return {}
    from brain.data.datasets import locate, refuse_links_inside
    from brain.data.store import current_md5, open_store

    found: dict[str, str] = {}
    store = open_store(root)
    try:
        for name, path in datasets.items():
            location = locate(root, path)
            refuse_links_inside(location, root)
            md5 = current_md5(store, location)
            if md5 is not None:
                found[name] = md5
    finally:
        store.close()
    return found


def touching(datasets: Mapping[str, str], paths: Iterable[str]) -> dict[str, str]:
    """The datasets (name -> path) that one of `paths` names, contains or lies inside."""
    wanted = [PurePosixPath(path).parts for path in paths]
    chosen: dict[str, str] = {}
    for name, path in datasets.items():
        parts = PurePosixPath(path).parts
        if any(parts[:len(other)] == other or other[:len(parts)] == parts for other in wanted):
            chosen[name] = path
    return chosen
