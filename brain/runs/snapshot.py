"""The run path's view of a project: a validated spec, without pydantic on the hot path.

Loading and validating `onebrain.yml` costs more than starting Python (pydantic alone is
~60 ms to import), and `brain run` must add at most ~100 ms to the command it runs. So once a
spec has passed full validation, what running needs of it (entry points, parameters,
variables, metadata) is kept as JSON in the cache, keyed by the sha256 of the spec's bytes
and stamped with brain's validation rules (brain.cache_stamp). An unchanged spec is then
read back without pydantic; any edit changes the hash and goes through full validation
again. `spec` and `document` are still there for
code that wants them (another backend, say), loaded on first use.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.entry_names import find_declared
from brain.run_plan import EntrySnapshot, ParameterSnapshot

if TYPE_CHECKING:
    from brain.spec.document import Document
    from brain.spec.loader import Project
    from brain.spec.models import Spec

_FORMAT = 4  # bump when the snapshot's shape changes


class ProjectSnapshot:
    """A valid project as `brain run` needs it; stands in for `brain.spec.loader.Project`."""

    def __init__(self, root: Path, spec_file: Path, spec_hash: str, data: dict[str, Any],
                 project: Project | None = None) -> None:
        self.root = root
        self.spec_file = spec_file
        self.spec_hash = spec_hash
        self.name: str = data["name"]
        self.namespace: str = data["namespace"]
        self.version: str = data["version"]
        self.variables: dict[str, str] = dict(data["variables"])
        self.entry_points: dict[str, EntrySnapshot] = {
            name: _entry(entry) for name, entry in data["entry_points"].items()}
        # Dataset name -> path (brain.data): what a run records the versions of.
        self.datasets: dict[str, str] = dict(data.get("datasets", {}))
        if project is not None:
            self.__dict__["project"] = project  # already loaded: no second validation

    @cached_property
    def project(self) -> Project:
        """The fully loaded project (pydantic), on first use."""
        from brain.spec.loader import load_project

        return load_project(self.spec_file)

    @property
    def spec(self) -> Spec:
        """The validated pydantic Spec (loaded on first use)."""
        return self.project.spec

    @property
    def document(self) -> Document:
        """The parsed YAML document (loaded on first use)."""
        return self.project.document

    def entry_point(self, name: str) -> tuple[str, EntrySnapshot] | None:
        """The entry point whose name matches `name` after normalisation."""
        return find_declared(self.entry_points, name)


def load_snapshot(target: Path) -> ProjectSnapshot:
    """The project at `target` (folder or spec file), from the cache when its spec is unchanged.

    A spec not seen before is fully loaded and validated (raising SpecInvalid / InvalidInput
    exactly as `load_project` does) and then cached.
    """
    from brain.inputfs import InputRefused, read_spec_bytes
    from brain.paths import find_spec_file

    spec_file = find_spec_file(target) if target.is_dir() else target
    if spec_file is None:
        return _snapshot_of(_load(target))  # raises the loader's own "no spec" error
    try:
        raw = read_spec_bytes(spec_file)
    except InputRefused:
        return _snapshot_of(_load(target))  # raises the loader's own located error
    from brain.file_hashes import small_sha256

    digest = small_sha256(raw).hexdigest()
    cached = _read_cache(digest)
    if cached is not None:
        resolved = spec_file.resolve()
        return ProjectSnapshot(resolved.parent, resolved, digest, cached)
    project = _load(spec_file)
    data = _data_of(project)
    if project.spec_hash == digest:
        _write_cache(digest, data)
    return ProjectSnapshot(project.root, project.spec_file, project.spec_hash, data, project)


def snapshot_of(project: Project) -> ProjectSnapshot:
    """A snapshot of an already loaded project."""
    return _snapshot_of(project)


def _load(target: Path) -> Project:
    from brain.spec.loader import load_project

    return load_project(target)


def _snapshot_of(project: Project) -> ProjectSnapshot:
    return ProjectSnapshot(project.root, project.spec_file, project.spec_hash,
                           _data_of(project), project)


def _data_of(project: Project) -> dict[str, Any]:
    spec = project.spec
    # The snapshot's own fields decide what is kept, so the two forms cannot drift apart
    # (tests/runs/test_snapshot_agrees.py checks every field against the models).
    kept = set(EntrySnapshot._fields)
    return {
        "name": spec.name,
        "namespace": spec.namespace,
        "version": spec.version,
        "variables": dict(spec.env.variables),
        "entry_points": {name: entry.model_dump(mode="json", include=kept)
                         for name, entry in spec.entry_points.items()},
        "datasets": {name: dataset.path for name, dataset in spec.data.datasets.items()},
    }


def _entry(data: dict[str, Any]) -> EntrySnapshot:
    parameters = {name: _parameter(param) for name, param in data.get("parameters", {}).items()}
    values = {name: _frozen(data[name]) for name in EntrySnapshot._fields
              if name in data and name != "parameters"}
    return EntrySnapshot(**values, parameters=parameters)


def _parameter(data: dict[str, Any]) -> ParameterSnapshot:
    return ParameterSnapshot(**{name: _frozen(data[name])
                                for name in ParameterSnapshot._fields if name in data})


def _frozen(value: Any) -> Any:
    """JSON lists back as the tuples the snapshot (like the frozen models) holds."""
    return tuple(value) if isinstance(value, list) else value


def _cache_file(digest: str) -> Path:
    from brain.paths import cache_dir

    return cache_dir() / "specs" / f"{digest}.json"


def _read_cache(digest: str) -> dict[str, Any] | None:
    from brain.cache_stamp import read_cached

    data = read_cached(_cache_file(digest))
    if data is None or data.get("format") != _FORMAT or data.get("spec_hash") != digest:
        return None  # another snapshot layout, or a damaged file: validate again
    spec = data.get("spec")
    return spec if isinstance(spec, dict) else None


def _write_cache(digest: str, spec: dict[str, Any]) -> None:
    from brain.cache_stamp import write_cached

    write_cached(_cache_file(digest), {"format": _FORMAT, "spec_hash": digest, "spec": spec})
