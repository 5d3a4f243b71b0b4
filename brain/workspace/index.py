"""A workspace's project index: every valid project under the root, and finding one by name.

The index is built from every spec under the root. Loading a spec costs about 2 ms (located
YAML parsing plus validation), so 1,000 projects are loaded in parallel processes, and the
result is cached by content hash: a warm `brain list` reads files and hashes them, nothing more,
and does not even import pydantic.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from brain import __version__, paths
from brain.errors import InvalidInput
from brain.statefs import UnsafeState, read_text, safe_dir, write_atomic
from brain.workspace.discovery import discover_spec_files, included, relative_folder
from brain.workspace.settings import Workspace, open_workspace

_CACHE_FORMAT = 1
_PARALLEL_FROM = 48  # below this many uncached specs a process pool costs more than it saves


@dataclass(frozen=True)
class ProjectEntry:
    """One project of the index: enough to list, filter and graph it without reloading."""

    namespace: str
    name: str
    version: str
    path: str  # the project folder, relative to the workspace root, POSIX form ("." = root)
    tags: tuple[str, ...] = ()
    description: str | None = None
    build_enabled: bool = False
    dependencies: tuple[str, ...] = ()  # PEP 503-normalised names of env.python.pip

    @property
    def key(self) -> str:
        """`namespace/name`, unique within a workspace."""
        return f"{self.namespace}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, **asdict(self)}


@dataclass
class WorkspaceIndex:
    """Every valid project of a workspace (sorted by key) and the problems of the others."""

    workspace: Workspace
    projects: list[ProjectEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def by_key(self) -> dict[str, ProjectEntry]:
        """Projects by `namespace/name`."""
        return {project.key: project for project in self.projects}

    def select(self, namespace: str | None = None, tag: str | None = None) -> list[ProjectEntry]:
        """Projects in `namespace` carrying `tag` (either filter optional)."""
        return [p for p in self.projects
                if (namespace is None or p.namespace == namespace)
                and (tag is None or tag in p.tags)]


def canonical_name(name: str) -> str:
    """A distribution name normalised as PEP 503 says: runs of `-_.` become `-`, lowercase."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def find_project(index: WorkspaceIndex, name: str) -> ProjectEntry:
    """The project called `namespace/name`, or `name` alone when that is unique.

    InvalidInput when no project or several match (naming them, with a did-you-mean).
    """
    import difflib

    namespace, _, short = name.rpartition("/")
    matches = [project for project in index.projects
               if (project.key == name if namespace else project.name == short)]
    if len(matches) == 1:
        return matches[0]
    root = index.workspace.root
    if matches:
        listed = ", ".join(f"{project.key} ({root / project.path})" for project in matches)
        raise InvalidInput(f"{name!r} matches several projects: {listed}",
                           hint="write namespace/name, or pass the project's folder")
    keys = [project.key for project in index.projects]
    guess = difflib.get_close_matches(name, keys + [p.name for p in index.projects], n=1)
    tip = f"did you mean {guess[0]!r}? " if guess else ""
    raise InvalidInput(f"no project {name!r} in the workspace {root}",
                       hint=f"{tip}pass namespace/name, a name or a project folder; "
                       "`brain list` shows the projects")


def load_index(start: Path, *, use_cache: bool = True) -> WorkspaceIndex:
    """Index every project of the workspace `start` is in.

    Invalid specs are left out and their problems kept in `problems`; two projects with the
    same `namespace/name` are an error naming both folders.
    """
    from brain.inputfs import read_spec_bytes

    workspace = open_workspace(start)
    root = workspace.root
    settings = workspace.settings
    spec_files = [f for f in discover_spec_files(root) if included(
        relative_folder(f.parent, root), settings.projects, settings.exclude)]
    cache_file = _cache_file(root)
    cached = _read_cache(cache_file) if use_cache else {}
    contents: dict[str, tuple[Path, str]] = {}
    entries: dict[str, ProjectEntry] = {}
    for spec_file in spec_files:
        try:
            digest = hashlib.sha256(read_spec_bytes(spec_file)).hexdigest()
        except InvalidInput:
            digest = ""  # refused or unreadable: loading it reports why
        relative = relative_folder(spec_file.parent, root)
        entry = _cached_entry(cached.get(relative), digest)
        if entry is not None:
            entries[relative] = entry
        else:
            contents[relative] = (spec_file, digest)
    index = WorkspaceIndex(workspace)
    loaded = _load_specs([(rel, spec_file) for rel, (spec_file, _) in contents.items()], root)
    for relative, entry, problems in loaded:
        if entry is not None:
            entries[relative] = entry
        index.problems.extend(problems)
    if use_cache and (contents or set(cached) != set(entries)):
        _write_cache(cache_file, {rel: {"sha": contents[rel][1] if rel in contents else
                                        cached[rel]["sha"], "entry": asdict(entry)}
                                  for rel, entry in entries.items()})
    index.projects = sorted(entries.values(), key=lambda p: (p.key, p.path))
    _refuse_duplicates(index.projects, root)
    return index


def _refuse_duplicates(projects: Sequence[ProjectEntry], root: Path) -> None:
    seen: dict[str, ProjectEntry] = {}
    for project in projects:
        other = seen.get(project.key)
        if other is not None:
            raise InvalidInput(
                f"two projects are named {project.key}: {_shown(root, other.path)} and "
                f"{_shown(root, project.path)}",
                hint="rename one of them (or give it another namespace) in its onebrain.yml")
        seen[project.key] = project


def _shown(root: Path, relative: str) -> str:
    from brain.spec.loader import display_path

    return display_path(root / relative)


def _load_specs(items: list[tuple[str, Path]], root: Path
                ) -> list[tuple[str, ProjectEntry | None, list[str]]]:
    """Load specs, in worker processes when there are many (forked: they share imports)."""
    if not items:
        return []
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < _PARALLEL_FROM or workers < 2:
        return _load_chunk(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Import the loader before forking so the children inherit it instead of re-importing.
    import brain.spec.loader
    import brain.spec.validation  # noqa: F401

    chunks = [items[i::workers] for i in range(workers)]
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: load in this process
        return _load_chunk(items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = pool.map(_load_chunk, chunks)
        return [item for chunk in results for item in chunk]


def _load_chunk(items: list[tuple[str, Path]]) -> list[tuple[str, ProjectEntry | None, list[str]]]:
    from brain.spec.loader import display_path, problems_for

    out: list[tuple[str, ProjectEntry | None, list[str]]] = []
    for relative, spec_file in items:
        problems, project = problems_for(spec_file)
        if project is None:
            shown = display_path(spec_file)
            out.append((relative, None, [problem.format(shown) for problem in problems]))
            continue
        spec = project.spec
        out.append((relative, ProjectEntry(
            namespace=spec.namespace, name=spec.name, version=spec.version, path=relative,
            tags=tuple(spec.tags), description=spec.description,
            build_enabled=spec.build_enabled,
            dependencies=requirement_names(spec.env.python.requirement_lines()),
        ), []))
    return out


def requirement_names(lines: Iterable[str]) -> tuple[str, ...]:
    """The PEP 503-normalised distribution names of PEP 508 requirement strings (sorted,
    unique); lines that are not requirements (`git+https://...`, `./local`) name nothing."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = set()
    for line in lines:
        try:
            names.add(canonical_name(Requirement(line.strip()).name))
        except InvalidRequirement:
            continue
    return tuple(sorted(names))


def _cached_entry(hit: Any, digest: str) -> ProjectEntry | None:
    """The cached entry when it is for this content; a damaged cache entry is a miss."""
    if not isinstance(hit, dict) or not digest or hit.get("sha") != digest:
        return None
    try:
        data = dict(hit["entry"])
        return ProjectEntry(**{**data, "tags": tuple(data.get("tags", ())),
                               "dependencies": tuple(data.get("dependencies", ()))})
    except (KeyError, TypeError, ValueError):
        return None


# -- the cache ------------------------------------------------------------------------------


def _cache_file(root: Path) -> Path:
    key = hashlib.sha256(str(root).encode()).hexdigest()[:24]
    return paths.cache_dir() / "workspaces" / f"{key}.json"


def _cache_stamp() -> str:
    """Changes whenever the spec models could validate differently (a new brain)."""
    spec_dir = Path(__file__).parent.parent / "spec"
    mtimes = sorted(str(p.stat().st_mtime_ns) for p in spec_dir.glob("*.py"))
    digest = hashlib.sha256("".join(mtimes).encode()).hexdigest()[:16]
    return f"{_CACHE_FORMAT}:{__version__}:{digest}"


def _read_cache(cache_file: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_text(cache_file, limit=1 << 30))
    except (OSError, ValueError, UnsafeState):
        return {}
    if not isinstance(data, dict) or data.get("stamp") != _cache_stamp():
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _write_cache(cache_file: Path, entries: dict[str, Any]) -> None:
    # A cache that cannot be written only costs speed; write-then-rename keeps it whole.
    with contextlib.suppress(OSError, UnsafeState):
        folder = safe_dir(paths.cache_dir(), cache_file.parent.name)
        write_atomic(folder / cache_file.name,
                     json.dumps({"stamp": _cache_stamp(), "entries": entries}))

