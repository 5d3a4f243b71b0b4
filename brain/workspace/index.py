"""A monorepo workspace: its root, its settings (`brain-workspace.yml`) and its project index.

The index is built from every spec under the root. Loading a spec costs about 2 ms (located
YAML parsing plus validation), so 1,000 projects are loaded in parallel processes, and the
result is cached by content hash: a warm `brain list` reads files and hashes them, nothing more,
and does not even import pydantic.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from brain import __version__, paths
from brain.errors import InvalidInput, SpecInvalid

if TYPE_CHECKING:
    from brain.spec.document import Document

WORKSPACE_FILENAME = "brain-workspace.yml"
_CACHE_FORMAT = 1
_PARALLEL_FROM = 48  # below this many uncached specs a process pool costs more than it saves
_SEPARATORS = re.compile(r"[-_.]+")
# A PEP 508 name at the start of a requirement, followed by what may follow a name (so that
# `git+https://...` or `./local` are not read as names).
_REQUIREMENT_NAME = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?=$|[\[(;<>=!~@ ])")


@dataclass(frozen=True)
class WorkspaceSettings:
    """Validated `brain-workspace.yml` (see `_settings_model` for the schema)."""

    projects: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    index: str | None = None
    hub: str | None = None


@dataclass(frozen=True)
class Workspace:
    """A workspace root, its settings file (when there is one) and its settings."""

    root: Path
    settings_file: Path | None
    settings: WorkspaceSettings


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
    return _SEPARATORS.sub("-", name).lower()


# -- the root -------------------------------------------------------------------------------


def find_workspace_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `brain-workspace.yml`, else the git
    root, else `start` itself."""
    start = start.resolve()
    candidates = (start, *start.parents)
    for directory in candidates:
        if (directory / WORKSPACE_FILENAME).is_file():
            return directory
    for directory in candidates:
        if (directory / ".git").exists():
            return directory
    return start


def open_workspace(start: Path) -> Workspace:
    """The workspace `start` is in, with its settings validated."""
    root = find_workspace_root(start)
    settings_file = root / WORKSPACE_FILENAME
    if not settings_file.is_file():
        return Workspace(root, None, WorkspaceSettings())
    return Workspace(root, settings_file, load_settings(settings_file))


def load_settings(settings_file: Path) -> WorkspaceSettings:
    """Parse and validate a `brain-workspace.yml`; problems are located like a spec's."""
    from pydantic import ValidationError

    from brain.spec.document import YamlProblem, decode, parse
    from brain.spec.loader import display_path

    shown = display_path(settings_file)
    try:
        document = parse(decode(settings_file.read_bytes()))
    except OSError as error:
        raise InvalidInput(f"{shown}: cannot read the file: {error.strerror}") from None
    except YamlProblem as problem:
        where = f"{shown}:{problem.mark.line}:{problem.mark.column}" if problem.mark else shown
        raise SpecInvalid([f"{where}: {problem.message}"],
                          hint=f"fix {WORKSPACE_FILENAME}") from None
    data = document.data if document.data is not None else {}
    model = _settings_model()
    try:
        validated = model.model_validate(data)
    except ValidationError as error:
        raise SpecInvalid(_settings_problems(error, document, model, shown),
                          hint=f"allowed keys in {WORKSPACE_FILENAME}: "
                          f"{', '.join(sorted(model.model_fields))}") from None
    return WorkspaceSettings(**validated.model_dump())


def _settings_model() -> Any:
    from pydantic import BaseModel, ConfigDict, Field

    class Settings(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        projects: tuple[str, ...] = Field(
            ("**",),
            description="Globs of project folders, relative to the root (`**` spans folders).")
        exclude: tuple[str, ...] = Field((), description="Globs of folders to leave out.")
        index: str | None = Field(None, description="Default package index URL.")
        hub: str | None = Field(None, description="URL of the team's brain hub.")

    return Settings


def _settings_problems(error: Any, document: Document, model: Any, shown: str) -> list[str]:
    import difflib

    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        field_path = ".".join(str(part) for part in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            mark = document.keys.get(loc, document.mark(loc))
            guess = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            suggestion = f" (did you mean {guess[0]!r}?)" if guess else ""
            message = f"unknown key {loc[-1]!r}{suggestion}"
        else:
            mark = document.mark(loc if loc in document.values else loc[:-1])
            message = f"{item['msg'][0].lower()}{item['msg'][1:]}"
        lines.append(f"{shown}:{mark.line}:{mark.column}: {field_path}: {message}")
    return lines


# -- the index ------------------------------------------------------------------------------


def load_index(start: Path, *, use_cache: bool = True) -> WorkspaceIndex:
    """Index every project of the workspace `start` is in.

    Invalid specs are left out and their problems kept in `problems`; two projects with the
    same `namespace/name` are an error naming both folders.
    """
    from brain.workspace.discovery import discover_spec_files

    workspace = open_workspace(start)
    root = workspace.root
    spec_files = [f for f in discover_spec_files(root)
                  if _included(_relative(f.parent, root), workspace.settings)]
    cache_file = _cache_file(root)
    cached = _read_cache(cache_file) if use_cache else {}
    contents: dict[str, tuple[Path, str]] = {}
    entries: dict[str, ProjectEntry] = {}
    for spec_file in spec_files:
        try:
            digest = hashlib.sha256(spec_file.read_bytes()).hexdigest()
        except OSError:
            digest = ""  # unreadable: loading it reports why
        relative = _relative(spec_file.parent, root)
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
    """The PEP 503-normalised distribution names of requirement strings (sorted, unique)."""
    names = set()
    for line in lines:
        found = _REQUIREMENT_NAME.match(line.strip())
        if found:
            names.add(canonical_name(found.group(1)))
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


# -- selection globs ------------------------------------------------------------------------


def _included(relative: str, settings: WorkspaceSettings) -> bool:
    return (any(glob_match(pattern, relative) for pattern in settings.projects)
            and not any(glob_match(pattern, relative) for pattern in settings.exclude))


def glob_match(pattern: str, relative: str) -> bool:
    """Whether folder `relative` (POSIX, "." for the root) matches `pattern`: segments are
    fnmatch patterns, and `**` spans any number of folders (none included)."""
    parts = [] if relative == "." else relative.split("/")
    wanted = [p for p in pattern.strip("/").split("/") if p not in ("", ".")]
    return _match_parts(wanted, parts)


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


def _relative(folder: Path, root: Path) -> str:
    relative = PurePosixPath(Path(os.path.relpath(folder, root)).as_posix())
    return str(relative)


# -- the cache ------------------------------------------------------------------------------


def _cache_file(root: Path) -> Path:
    key = hashlib.sha256(str(root).encode()).hexdigest()[:24]
    return paths.cache_dir() / "workspaces" / f"{key}.json"


def _cache_stamp() -> str:
    """Changes whenever the spec models could validate differently (a new brain)."""
    spec_dir = Path(__file__).parent / "spec"
    mtimes = sorted(str(p.stat().st_mtime_ns) for p in spec_dir.glob("*.py"))
    digest = hashlib.sha256("".join(mtimes).encode()).hexdigest()[:16]
    return f"{_CACHE_FORMAT}:{__version__}:{digest}"


def _read_cache(cache_file: Path) -> dict[str, Any]:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("stamp") != _cache_stamp():
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _write_cache(cache_file: Path, entries: dict[str, Any]) -> None:
    # A cache that cannot be written only costs speed; write-then-rename keeps it whole.
    with contextlib.suppress(OSError):
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"stamp": _cache_stamp(), "entries": entries}),
                             encoding="utf-8")
        os.replace(temporary, cache_file)

