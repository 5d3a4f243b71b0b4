"""The run path's view of a project: a validated spec, without pydantic on the hot path.

Loading and validating `onebrain.yml` costs more than starting Python (pydantic alone is
~60 ms to import), and `brain run` must add at most ~100 ms to the command it runs. So once a
spec has passed full validation, what running needs of it (entry points, parameters,
variables, metadata) is kept as JSON in the cache, keyed by the sha256 of the spec's bytes
and brain's version. An unchanged spec is then read back without pydantic; any edit changes
the hash and goes through full validation again. `spec` and `document` are still there for
code that wants them (another backend, say), loaded on first use.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain import __version__

if TYPE_CHECKING:
    from brain.params import Value
    from brain.spec.document import Document
    from brain.spec.loader import Project
    from brain.spec.models import Spec

_FORMAT = 2  # bump when the snapshot's shape changes


@dataclass(frozen=True)
class ParameterSnapshot:
    """A declared parameter (the fields coercion reads)."""

    type: str = "str"
    default: Value | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[Value, ...] | None = None
    allow_nan: bool = False

    @property
    def required(self) -> bool:
        """True when the parameter has no default."""
        return self.default is None


@dataclass(frozen=True)
class EntrySnapshot:
    """A declared entry point."""

    type: str
    command: str | None = None
    script: str | None = None
    module: str | None = None
    port: int | None = None
    parameters: dict[str, ParameterSnapshot] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    notebook: str | None = None
    depends_on: tuple[str, ...] = ()


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
        wanted = normalize_entry_name(name)
        for declared, entry in self.entry_points.items():
            if normalize_entry_name(declared) == wanted:
                return declared, entry
        return None


def normalize_entry_name(name: str) -> str:
    """`brain.spec.models.normalize_entry_name`, without importing pydantic."""
    from brain.runs.store import entry_key

    return entry_key(name)


def load_snapshot(target: Path) -> ProjectSnapshot:
    """The project at `target` (folder or spec file), from the cache when its spec is unchanged.

    A spec not seen before is fully loaded and validated (raising SpecInvalid / InvalidInput
    exactly as `load_project` does) and then cached.
    """
    from brain.paths import find_spec_file

    spec_file = find_spec_file(target) if target.is_dir() else target
    if spec_file is None or not spec_file.is_file():
        return _snapshot_of(_load(target))  # raises the loader's own "no spec" error
    try:
        raw = spec_file.read_bytes()
    except OSError:
        return _snapshot_of(_load(target))
    from hashlib import sha256

    digest = sha256(raw).hexdigest()
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
    return {
        "name": spec.name,
        "namespace": spec.namespace,
        "version": spec.version,
        "variables": dict(spec.env.variables),
        "entry_points": {
            name: entry.model_dump(mode="json", include={
                "type", "command", "script", "module", "port", "parameters", "inputs",
                "outputs", "notebook", "depends_on"})
            for name, entry in spec.entry_points.items()
        },
    }


def _entry(data: dict[str, Any]) -> EntrySnapshot:
    parameters = {}
    for name, param in data.get("parameters", {}).items():
        choices = param.get("choices")
        parameters[name] = ParameterSnapshot(
            type=param["type"], default=param.get("default"), min=param.get("min"),
            max=param.get("max"), choices=tuple(choices) if choices is not None else None,
            allow_nan=bool(param.get("allow_nan", False)))
    return EntrySnapshot(
        type=data["type"], command=data.get("command"), script=data.get("script"),
        module=data.get("module"), port=data.get("port"), parameters=parameters,
        inputs=tuple(data.get("inputs", ())), outputs=tuple(data.get("outputs", ())),
        notebook=data.get("notebook"), depends_on=tuple(data.get("depends_on", ())))


def _cache_file(digest: str) -> Path:
    from brain.paths import cache_dir

    return cache_dir() / "specs" / f"{digest}.json"


def _read_cache(digest: str) -> dict[str, Any] | None:
    try:
        data = json.loads(_cache_file(digest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or \
            data.get("brain") != __version__ or data.get("spec_hash") != digest:
        return None  # another brain's validation rules, or a damaged file: validate again
    spec = data.get("spec")
    return spec if isinstance(spec, dict) else None


def _write_cache(digest: str, spec: dict[str, Any]) -> None:
    target = _cache_file(digest)
    payload = {"format": _FORMAT, "brain": __version__, "spec_hash": digest, "spec": spec}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(temporary, target)  # readers see the old file or the whole new one
    except OSError:
        pass  # a read-only cache only costs speed


