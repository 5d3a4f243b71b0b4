"""What a run does with datasets: pull the ones its inputs need, record their versions.

Called by the run core with the run path's project view (no pydantic): the full spec is
loaded only when a dataset has to be pulled. A project without datasets costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fsspec.callbacks import Callback


class DataProject(Protocol):
    """What these functions need of a project (brain.runs.snapshot.ProjectSnapshot)."""

    @property
    def root(self) -> Path: ...
    @property
    def spec_file(self) -> Path: ...
    @property
    def datasets(self) -> dict[str, str]: ...


def before_run(project: DataProject, inputs: tuple[str, ...],
               progress: Callable[[str], None] | None = None) -> dict[str, str]:
    """Pull the datasets `inputs` touch that the project lacks; then the version (md5) of
    every dataset present, for the run record's `data`."""
    from brain.data.versions import versions_at

    if not project.datasets:
        return {}
    pull_missing(project, inputs, progress)
    return versions_at(project.root, project.datasets)


def pull_missing(project: DataProject, inputs: tuple[str, ...],
                 progress: Callable[[str], None] | None = None) -> tuple[str, ...]:
    """Pull the datasets `inputs` touch that the project lacks; their names."""
    from brain.data.versions import touching

    needed = touching(project.datasets, inputs)
    absent = tuple(name for name, path in needed.items()
                   if not (project.root / path).exists())
    if absent:
        from brain.data.service import pull
        from brain.spec.loader import load_project

        if progress is not None:
            progress(f"pulling dataset(s) {', '.join(absent)}")
        pull(load_project(project.spec_file), absent, only_missing=True)
    return absent


def after_run(project: DataProject, outputs: tuple[str, ...]) -> dict[str, str]:
    """The versions of the datasets among `outputs`, as the run left them."""
    from brain.data.versions import touching, versions_at

    if not project.datasets or not outputs:
        return {}
    written: Mapping[str, str] = touching(project.datasets, outputs)
    return versions_at(project.root, written)


def restore_run_data(project_dir: Path, versions: Mapping[str, object],
                     callback: Callback | None = None) -> list[str]:
    """Put a run's datasets back (its record's `data`: name -> md5), from the cache or the
    remote; the names restored. The spec read is the one in `project_dir` now (after a
    code checkout: the run's own)."""
    from brain.data.service import restore_versions
    from brain.spec.loader import load_project

    wanted = {str(name): md5 for name, md5 in versions.items() if isinstance(md5, str)}
    if not wanted:
        return []
    project = load_project(project_dir)
    return [moved.name for moved in restore_versions(project, wanted, callback)]


def check_restorable(project_dir: Path, versions: Mapping[str, object]) -> None:
    """InvalidInput when putting a run's datasets back would lose changes in no cache
    (checked before the code is switched, so a refusal changes nothing)."""
    from brain.data.service import unsaved
    from brain.errors import InvalidInput
    from brain.spec.loader import load_project

    lost = unsaved(load_project(project_dir), tuple(str(name) for name in versions))
    if lost:
        raise InvalidInput(f"dataset(s) {', '.join(lost)} have changes in no cache; "
                           "restoring the run's data would lose them",
                           hint="`brain data add` them first (or move them away)")
