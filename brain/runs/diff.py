"""Why do two runs differ? Compare two records aspect by aspect.

Aspects, in the order a reader asks about them: code (commit, dirty, branch, remote),
parameters (per name), environment (identity, Python, backend), command, project (spec,
version, path), data (dataset versions, brain.data), inputs and outputs (content hashes
from `record.extra`, when the runner put them there), the metrics each reported, and how
each run ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brain.runs.record import RunRecord

ASPECTS = ("code", "parameters", "environment", "command", "project", "data", "inputs",
           "outputs", "metrics", "exit")
ABSENT = "(absent)"  # the value shown for a name only one run has


@dataclass(frozen=True)
class Change:
    """One field that differs: its name and the value in run A and in run B."""

    name: str
    old: Any
    new: Any


@dataclass
class RunDiff:
    """The differences between run `a` and run `b`, grouped by aspect."""

    a: RunRecord
    b: RunRecord
    changes: dict[str, list[Change]] = field(default_factory=dict)  # aspect -> changes

    @property
    def identical(self) -> bool:
        """True when no aspect differs."""
        return not any(self.changes.values())

    def differing(self) -> list[str]:
        """The aspects that differ, in ASPECTS order."""
        return [aspect for aspect in ASPECTS if self.changes.get(aspect)]

    def same(self) -> list[str]:
        """The aspects that are the same."""
        return [aspect for aspect in ASPECTS if not self.changes.get(aspect)]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "a": self.a.id,
            "b": self.b.id,
            "identical": self.identical,
            "differences": {
                aspect: [{"name": c.name, "old": c.old, "new": c.new}
                         for c in self.changes[aspect]]
                for aspect in self.differing()
            },
            "same": self.same(),
        }


def diff_runs(a: RunRecord, b: RunRecord) -> RunDiff:
    """Compare run `a` (older, usually) with run `b`."""
    changes = {
        "code": _fields(a, b, {
            "commit": lambda r: r.git.commit,
            "dirty": lambda r: r.git.dirty,
            "branch": lambda r: r.git.branch,
            "remote": lambda r: r.git.remote,
            # The content of the source files (runs through the cache record it): two dirty
            # runs on one commit can still differ in code.
            "source": lambda r: r.extra.get("source_hash"),
        }),
        "parameters": _mapping(a.parameters, b.parameters),
        "environment": _fields(a, b, {
            "env_identity": lambda r: r.env_identity,
            "python_version": lambda r: r.python_version,
            "backend": lambda r: r.backend,
        }),
        "command": _fields(a, b, {"command": lambda r: r.command}),
        "project": _fields(a, b, {
            "project": lambda r: f"{r.namespace}/{r.project}",
            "version": lambda r: r.version,
            "entry_point": lambda r: r.entry_point,
            "spec_hash": lambda r: r.spec_hash,
            "project_path": lambda r: r.project_path,
        }),
        # Dataset versions (brain.data): those the run saw, and those it wrote.
        "data": _mapping(_versions(a), _versions(b)),
        "inputs": _mapping(file_hashes(a.extra.get("inputs")), file_hashes(b.extra.get("inputs"))),
        "outputs": _mapping(file_hashes(a.extra.get("outputs")),
                            file_hashes(b.extra.get("outputs"))),
        "metrics": _mapping(a.metrics, b.metrics),
        "exit": _fields(a, b, {
            "status": lambda r: r.status,
            "exit_code": lambda r: r.exit_code,
        }),
    }
    return RunDiff(a=a, b=b, changes=changes)


def file_hashes(value: Any) -> dict[str, Any]:
    """Inputs or outputs as {path: hash}, from the shapes a runner may record.

    Accepted: a mapping {path: hash}, a list of {"path": ..., "hash"/"sha256": ...}, or a
    list of paths (no hash known). Anything else counts as none.
    """
    if isinstance(value, dict):
        return {str(path): digest for path, digest in value.items()}
    hashes: dict[str, Any] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "path" in item:
                hashes[str(item["path"])] = item.get("hash", item.get("sha256"))
            elif isinstance(item, str):
                hashes[item] = None
    return hashes


def _versions(record: RunRecord) -> dict[str, Any]:
    """Dataset name -> md5 from the record's `data`, and `name (written)` from what it wrote."""
    versions: dict[str, Any] = {}
    for key, suffix in (("data", ""), ("data_written", " (written)")):
        found = record.extra.get(key)
        if isinstance(found, dict):
            versions.update({f"{name}{suffix}": md5 for name, md5 in found.items()})
    return versions


def _fields(a: RunRecord, b: RunRecord, getters: dict[str, Any]) -> list[Change]:
    changes = []
    for name, get in getters.items():
        old, new = get(a), get(b)
        if old != new:
            changes.append(Change(name, old, new))
    return changes


def _mapping(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name, ABSENT), new.get(name, ABSENT)
        # 1 == 1.0 == True in Python, but a parameter whose type changed did change.
        if before != after or type(before) is not type(after):
            changes.append(Change(name, before, after))
    return changes
