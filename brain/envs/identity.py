"""An environment's identity and its stamp, both computed without network and without uv.

identity = sha256(requirement set, Python version, platform), where the requirement set is
the lock's content when a fresh lock exists, else the normalised `env.python.pip` lines plus
the content of the requirements files. The stamp, written last into a finished environment,
records that identity and a *quick key*: a hash of the raw input files (spec, requirements,
lock). When the quick key still matches, `setup-deps` is a no-op without loading the spec
(pydantic) at all, which keeps it well under 150 ms.

This module stays light on import (json, os; no hashlib, see brain.file_hashes.small_sha256)
because the no-op path runs through it.
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from brain.errors import InvalidInput
from brain.file_hashes import small_sha256
from brain.paths import SPEC_FILENAMES, config_path, project_venv_dir
from brain.statefs import UnsafeState, current_build, read_text, write_atomic

if TYPE_CHECKING:
    from brain.spec.loader import Project

STAMP_NAME = "brain-stamp.json"
STAMP_FORMAT = 1
LOCK_FILENAME = "onebrain.lock"
_MAX_INCLUDE_DEPTH = 8
_INCLUDE_FLAGS = ("-r", "--requirement", "-c", "--constraint")


class RequirementInputs(NamedTuple):
    """Everything in the spec that decides what gets installed."""

    lines: tuple[str, ...]  # normalised env.python.pip requirements, sorted
    files: tuple[tuple[str, str], ...]  # (path relative to the project, content)
    requirements_file: str | None  # env.python.requirements as written
    index_url: str | None
    extra_index_urls: tuple[str, ...]
    python: str  # the requested version, e.g. "3.11"

    def digest(self) -> str:
        """sha256 of the requirement inputs: recorded in a lock's header to detect staleness."""
        return _sha256_json({
            "lines": self.lines, "files": self.files, "index_url": self.index_url,
            "extra_index_urls": self.extra_index_urls, "python": self.python,
        })

    @property
    def all_pinned(self) -> bool:
        """True when every requirement is an exact `==` pin (so the cache can answer alone)."""
        if self.files:
            return False
        return all("==" in line and "*" not in line and "," not in line for line in self.lines)


class Stamp(NamedTuple):
    """The record written into a finished environment; its presence means "ready"."""

    identity: str
    quick_key: str
    tracked: list[str]  # input files (relative) the quick key covers, besides spec and lock
    location: str  # the real path of the environment when it was built
    python: str  # "3.11.7"
    python_path: str
    installer: str
    lock_fresh: bool  # a lock existed and matched the spec (what `--frozen` needs)
    built_at: str
    seconds: float
    format: int = STAMP_FORMAT
    extra: dict[str, Any] = {}  # noqa: RUF012 (shared, never changed)


def collect_inputs(project: Project) -> RequirementInputs:
    """The requirement inputs of `project`; InvalidInput for a missing or escaping file."""
    python_env = project.spec.env.python
    from brain.config import package_index_settings
    from brain.entrypoints import environment_requirements
    from brain.envs.interpreters import default_version

    declared = python_env.requirement_lines()
    # What the declared entry point types need to run here (papermill for notebooks).
    declared += environment_requirements(
        (entry.type for entry in project.spec.entry_points.values()), declared)
    declared += _check_requirements(project, declared)
    lines = sorted({_normalise(line) for line in declared})
    files: list[tuple[str, str]] = []
    if python_env.requirements:
        _read_requirements(project.root, python_env.requirements, None, files, 0)
    # The spec's indexes first, then the user's settings (`brain config`), `local` expanded.
    index_url, extra_index_urls = package_index_settings(project.spec)
    return RequirementInputs(
        lines=tuple(lines), files=tuple(files), requirements_file=python_env.requirements,
        index_url=index_url, extra_index_urls=extra_index_urls,
        python=python_env.version or default_version(),
    )


def _check_requirements(project: Project, declared: list[str]) -> list[str]:
    """What the declared data checks need (pandera, pytest), only when some are declared."""
    entries = [entry for entry in project.spec.entry_points.values() if entry.checks]
    if not entries:
        return []
    from brain.checks import check_requirements, declared_checks

    items = [item for entry in entries
             for item in declared_checks([check.as_json() for check in entry.checks],
                                         entry.inputs, entry.outputs)]
    return check_requirements(items, declared)


def platform_tag() -> str:
    """The platform part of an identity: "linux-x86_64"."""
    return f"{sys.platform}-{os.uname().machine}"


def environment_identity(requirements_digest: str, python: str) -> str:
    """The identity of an environment holding `requirements_digest` on Python `python`."""
    return _sha256_json({"requirements": requirements_digest, "python": python,
                         "platform": platform_tag(), "format": STAMP_FORMAT})


def lock_digest(lock_text: str) -> str:
    """The requirement-set digest of a lock: the hash of its content."""
    return small_sha256(lock_text.encode("utf-8")).hexdigest()


def quick_key(root: Path, tracked: list[str]) -> str:
    """Hash of the raw input files of `root` (spec, lock, `tracked`) and the host's defaults."""
    digest = small_sha256()
    digest.update(f"{STAMP_FORMAT}\0{platform_tag()}\0{sys.version_info[:2]}\0".encode())
    for path in quick_inputs(root, tracked):
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path)
                      .encode() + b"\0")
        try:
            digest.update(small_sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"absent")
    return digest.hexdigest()


def quick_inputs(root: Path, tracked: list[str]) -> list[Path]:
    """The files `quick_key` hashes: spec, lock, `tracked`, and the user's settings (which
    choose package indexes too: a changed setting is a changed input)."""
    return [*(root / name for name in (*SPEC_FILENAMES, LOCK_FILENAME, *tracked)),
            config_path()]


def settled_files(root: Path, stamp: Stamp) -> list[tuple[str, str]]:
    """What `quick_ready(root)` answering `stamp` rests on, as brain.settled guards: the
    input files, `.brain`, the venv link, the build folder and its stamp, and the interpreter
    (a removed base interpreter breaks the venv's python)."""
    from brain.settled import FOLDER, FOLLOW, LINK

    venv = project_venv_dir(root)
    build = os.path.realpath(venv)
    return [*((str(path), FOLLOW) for path in quick_inputs(root, stamp.tracked)),
            (str(root), FOLDER), (str(root / ".brain"), FOLDER), (str(venv), LINK),
            (build, FOLDER), (os.path.join(build, STAMP_NAME), LINK),
            (str(venv / "bin" / "python"), FOLLOW)]


def read_stamp(env_dir: Path) -> Stamp | None:
    """The stamp of the environment at `env_dir`, or None when it is missing or unreadable."""
    try:
        data = json.loads(read_text(env_dir / STAMP_NAME))
        if data.get("format") != STAMP_FORMAT:
            return None
        return Stamp(**data)
    except (OSError, ValueError, TypeError, AttributeError, UnsafeState):
        return None


def write_stamp(env_dir: Path, stamp: Stamp) -> None:
    """Write the stamp atomically (temp file + rename): it is the "ready" signal."""
    write_atomic(env_dir / STAMP_NAME, json.dumps(stamp._asdict(), indent=2))


def healthy_stamp(root: Path) -> Stamp | None:
    """The stamp of the project's current environment when the environment is intact."""
    build = current_build(root)  # UnsafeState when `.brain/venv` is not brain's own link
    if build is None:
        return None
    stamp = read_stamp(build)
    if stamp is None:
        return None
    venv = project_venv_dir(root)
    # A moved project breaks a venv's absolute paths; a removed base interpreter breaks python.
    if stamp.location != os.path.realpath(venv) or not os.path.exists(venv / "bin" / "python"):
        return None
    return stamp


def quick_ready(root: Path, *, frozen: bool = False) -> Stamp | None:
    """The stamp when nothing changed since the environment was built, else None (no spec load)."""
    stamp = healthy_stamp(root)
    if stamp is None or (frozen and not stamp.lock_fresh):
        return None
    if quick_key(root, stamp.tracked) != stamp.quick_key:
        return None
    return stamp


def save_plan(root: Path, inputs: RequirementInputs, *, lock_fresh: bool) -> None:
    """Remember the requirement inputs of these exact input files, so a later build (after
    `brain clean`, or in a fresh clone) can skip loading the spec; a cache, best effort."""
    from brain.cache_stamp import write_cached

    tracked = [name for name, _ in inputs.files]
    write_cached(plan_path(root), {"inputs": inputs._asdict(), "tracked": tracked,
                                   "quick_key": quick_key(root, tracked),
                                   "lock_fresh": lock_fresh})


def load_plan(root: Path) -> tuple[RequirementInputs, bool] | None:
    """(inputs, lock_fresh) saved for the current bytes of `root`'s input files, or None."""
    from brain.cache_stamp import read_cached

    record = read_cached(plan_path(root))
    try:
        if record is None or quick_key(root, record["tracked"]) != record["quick_key"]:
            return None
        raw = record["inputs"]
        inputs = RequirementInputs(
            lines=tuple(raw["lines"]), files=tuple((n, t) for n, t in raw["files"]),
            requirements_file=raw["requirements_file"], index_url=raw["index_url"],
            extra_index_urls=tuple(raw["extra_index_urls"]), python=raw["python"])
        return inputs, bool(record["lock_fresh"])
    except (OSError, ValueError, KeyError, TypeError, UnsafeState):
        return None


def plan_path(root: Path) -> Path:
    """Where the plan of `root`'s current input files is cached."""
    from brain.paths import cache_dir

    # Keyed by content (spec and lock bytes, host defaults), not by path: a fresh clone of
    # the same project finds it too.
    return cache_dir() / "plans" / f"{quick_key(root, [])}.json"


def _normalise(line: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    if any(char in line for char in "\r\n\0"):
        raise InvalidInput(f"env.python.pip: {line!r} spans several lines",
                           hint="write one requirement per entry")
    try:
        requirement = Requirement(line)
    except InvalidRequirement as error:
        raise InvalidInput(f"env.python.pip: invalid requirement {line!r}: {error}") from None
    requirement.name = canonicalize_name(requirement.name)
    return str(requirement)


def _read_requirements(root: Path, relative: str, parent: str | None,
                       files: list[tuple[str, str]], depth: int) -> None:
    where = f"included from {parent}" if parent else "env.python.requirements"
    if depth > _MAX_INCLUDE_DEPTH:
        raise InvalidInput(f"{relative}: requirements files nest deeper than "
                           f"{_MAX_INCLUDE_DEPTH} levels ({where})")
    pure = PurePosixPath(posixpath.normpath(relative))
    if pure.is_absolute() or ".." in pure.parts:
        raise InvalidInput(f"{relative!r} ({where}) must be a path inside the project, "
                           "without '..'", hint="move the file into the project folder")
    path = root / relative
    real_root = root.resolve()
    if not path.resolve().is_relative_to(real_root):
        raise InvalidInput(f"{relative!r} ({where}) points outside the project",
                           hint="requirements files must live inside the project folder")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{relative}: requirements file not found ({where})",
                           hint=f"create {relative} or fix the path in onebrain.yml") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"{relative}: cannot read the requirements file: {error}") from None
    name = pure.as_posix()
    if any(seen == name for seen, _ in files):
        return
    files.append((name, text))
    base = pure.parent
    for line in text.splitlines():
        target = _included_file(line)
        if target is not None:
            _read_requirements(root, (base / target).as_posix(), name, files, depth + 1)


def _included_file(line: str) -> str | None:
    stripped = line.split(" #", 1)[0].strip()
    for flag in _INCLUDE_FLAGS:
        if stripped.startswith(flag + "=") or stripped.startswith(flag + " "):
            return stripped[len(flag) + 1:].strip() or None
    return None


def _sha256_json(data: Any) -> str:
    return small_sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()
