"""The run cache: skip an entry point whose declared outputs are already up to date.

The key is a sha256 over everything that decides what a run produces: the rendered command,
the typed parameters, the variables, the environment's identity, the content of the declared
`inputs`, and the content of the project's source files (`git ls-files` in a repository, else
a walk that skips brain's state, virtual environments and declared outputs). The spec file
itself is not hashed as source: what of it matters to a run is already in the key, so editing
a description or another entry point does not invalidate every cached run. A successful earlier run
with the same key whose declared outputs still hash as it recorded them is a hit; the key
and the output hashes live in that run's `extra`. Entry points without declared outputs are
never cached: there would be nothing to reuse.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.run_plan import RunPlan
    from brain.runs.record import RunRecord

KEY_FORMAT = 1
CANDIDATES = 50  # earlier successful runs of the entry point examined for a hit
# Folders that are never source: brain's state, git, caches and virtual environments.
_SKIPPED_DIRS = {".brain", ".git", ".hg", ".svn", "__pycache__", ".venv", "venv",
                 "node_modules", ".ipynb_checkpoints", ".pytest_cache", ".mypy_cache",
                 ".ruff_cache", ".tox", ".nox"}
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CacheKey:
    """A run's cache key and the digest of the source files it covers."""

    key: str
    source: str

    def extra(self) -> dict[str, str]:
        """What a run records in `extra` so later runs can find it."""
        return {"cache_key": self.key, "source_hash": self.source}


def cacheable(plan: RunPlan) -> bool:
    """True when `plan` declares outputs (only then can an earlier run stand in for it)."""
    return bool(plan.outputs) and plan.port is None


def cache_key(plan: RunPlan, environment_identity: str,
              excluded: Iterable[str] = ()) -> CacheKey:
    """The key of `plan` run in the environment `environment_identity`.

    `excluded`: paths (relative to the project) that are products, not source, such as the
    declared outputs of every entry point; they never count as code.
    """
    from brain.file_hashes import hash_files
    from brain.paths import SPEC_FILENAMES

    source = source_digest(plan.cwd, [*plan.outputs, *excluded, *SPEC_FILENAMES])
    # The run id and the project's location vary from run to run without changing a result.
    variables = {name: value for name, value in plan.variables.items()
                 if name not in ("BRAIN_RUN_ID", "BRAIN_PROJECT_DIR")}
    payload = {
        "format": KEY_FORMAT,
        "entry_point": plan.entry_name,
        "type": plan.entry_type,
        "command": plan.command,
        "parameters": plan.parameters_json(),
        "variables": variables,
        "environment": environment_identity,
        "inputs": hash_files(plan.cwd, plan.inputs),
        "source": source,
    }
    checks = getattr(plan.project.entry_points.get(plan.entry_name), "checks", ())
    if checks:  # a changed rule must check the data again (keys of other runs unchanged)
        payload["checks"] = [dict(check) for check in checks]
    encoded = json.dumps(payload, sort_keys=True, default=str).encode("utf-8")
    return CacheKey(hashlib.sha256(encoded).hexdigest(), source)


def find_hit(plan: RunPlan, key: CacheKey) -> RunRecord | None:
    """The newest successful earlier run with this key whose outputs are still intact."""
    from brain.file_hashes import hash_files
    from brain.runs.store import RunStore

    project = plan.project
    with RunStore() as store:
        candidates = store.list(project=f"{project.namespace}/{project.name}",
                                entry=plan.entry_name, status="succeeded", limit=CANDIDATES)
    current: dict[str, str | None] | None = None
    for record in candidates:
        if record.extra.get("cache_key") != key.key:
            continue
        recorded = record.extra.get("outputs")
        if not isinstance(recorded, dict) or set(recorded) != set(plan.outputs):
            continue
        if current is None:
            current = hash_files(plan.cwd, plan.outputs)
        # An output deleted or edited by hand since that run means it must run again.
        if all(digest is not None for digest in current.values()) and recorded == current:
            return record
    return None


def source_digest(root: Path, excluded: Iterable[str] = ()) -> str:
    """sha256 over the path and content of every source file of the project at `root`."""
    skipped = {_normal(path) for path in excluded}
    files = _git_files(root)
    if files is None:
        files = _walked_files(root)
    digest = hashlib.sha256()
    for name in sorted(set(files)):
        if _is_excluded(name, skipped) or name.split("/", 1)[0] in _SKIPPED_DIRS:
            continue
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        path = root / name
        digest.update(_file_digest(path) if path.is_file() else b"absent")
    return digest.hexdigest()


def _git_files(root: Path) -> list[str] | None:
    """The files git tracks under `root` (relative to it), or None outside a repository."""
    if not any((folder / ".git").exists() for folder in (root, *root.parents)):
        return None
    from brain.vcs.repository import tracked_files

    return tracked_files(root)  # None when git is missing or refuses: hash the folder instead


def _walked_files(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        # A folder holding pyvenv.cfg is a virtual environment, whatever its name.
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS
                   and not (here / d / "pyvenv.cfg").exists()]
        relative = here.relative_to(root)
        found += [(relative / name).as_posix() for name in files]
    return found


def _is_excluded(name: str, skipped: set[str]) -> bool:
    return any(name == path or name.startswith(path + "/") for path in skipped)


def _normal(path: str) -> str:
    return Path(path).as_posix().removeprefix("./").rstrip("/")


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
    except OSError:
        return b"unreadable"
    return digest.digest()
