"""Per-commit CI status files: one JSON file per commit under BRAIN_HOME/ci/commits/, written
atomically by `brain ci run --record` (the git hook passes it), read back for listings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from brain.ci.runner import CiResult

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
MAX_STATUS_BYTES = 4 << 20
MAX_LISTED = 500


def status_folder(*, create: bool = True) -> Path:
    """BRAIN_HOME/ci/commits (checked: no symlinks, ours)."""
    from brain.paths import brain_home
    from brain.statefs import safe_dir

    return safe_dir(brain_home(), "ci", "commits", create=create)


def record_status(result: CiResult, *, ref: str | None = None, repository: str | None = None,
                  hub: str | None = None) -> Path | None:
    """Write `result` as the status of its commit; None when the tree has no commit."""
    return record_data(result.as_dict(), ref=ref, repository=repository, hub=hub)


def record_data(data: dict[str, Any], *, ref: str | None = None,
                repository: str | None = None, hub: str | None = None) -> Path | None:
    """Write a result's JSON form (`CiResult.as_dict`) as its commit's status."""
    import time

    from brain.statefs import write_atomic

    commit = data.get("commit")
    if not isinstance(commit, str) or not _SHA.fullmatch(commit):
        return None
    record = {**data, "recorded_at": time.time(), "ref": ref, "repository": repository,
              "hub": hub, **_commit_words(data.get("root"), commit)}
    path = status_folder() / f"{commit}.json"
    write_atomic(path, json.dumps(record, indent=2, sort_keys=True))
    return path


def _commit_words(root: object, commit: str) -> dict[str, Any]:
    """The commit's subject, author and time, as the hub shows them ({} when unknown)."""
    from brain.vcs.verbs import commit_summary

    if not isinstance(root, str):
        return {}
    found = commit_summary(Path(root), commit)
    if found is None:
        return {}
    subject, author, when = found
    return {"subject": subject[:500], "author": author[:200], "committed_at": when}


def read_statuses(limit: int = MAX_LISTED) -> list[dict[str, Any]]:
    """Recorded commit statuses, newest first; unreadable files are left out."""
    from brain.statefs import UnsafeState, read_text

    try:
        folder = status_folder(create=False)
    except FileNotFoundError:
        return []  # nothing recorded yet
    found = []
    for path in folder.iterdir():
        if not (path.suffix == ".json" and _SHA.fullmatch(path.stem)):
            continue
        try:
            data = json.loads(read_text(path, limit=MAX_STATUS_BYTES))
        except (OSError, ValueError, UnsafeState):
            continue
        if isinstance(data, dict):
            found.append(data)
    found.sort(key=lambda d: d.get("recorded_at") or 0, reverse=True)
    return found[:limit]


def read_status(commit: str) -> dict[str, Any] | None:
    """The recorded status of `commit` (a full SHA), or None."""
    from brain.statefs import UnsafeState, read_text

    if not _SHA.fullmatch(commit):
        return None
    try:
        data = json.loads(read_text(status_folder(create=False) / f"{commit}.json",
                                    limit=MAX_STATUS_BYTES))
    except (OSError, ValueError, UnsafeState):
        return None
    return data if isinstance(data, dict) else None


def has_project(key: str) -> bool:
    """Whether some recorded commit ran project `key` (its CI page exists)."""
    return any(isinstance(p, dict) and p.get("key") == key and not p.get("skipped")
               for commit in read_statuses() for p in commit.get("projects", []))


def project_statuses(limit: int = MAX_LISTED) -> dict[str, list[dict[str, Any]]]:
    """Per project key: its commits (newest first) with status and step results."""
    listing: dict[str, list[dict[str, Any]]] = {}
    for commit in read_statuses(limit):
        results = [r for r in commit.get("results", []) if isinstance(r, dict)]
        for project in commit.get("projects", []):
            if not isinstance(project, dict) or project.get("skipped"):
                continue
            key = str(project.get("key"))
            steps = [{k: r.get(k) for k in ("step", "status", "seconds", "note")}
                     for r in results if r.get("project") == key]
            status = "failed" if any(s["status"] == "failed" for s in steps) else "passed"
            listing.setdefault(key, []).append({
                "commit": commit.get("commit"), "ref": commit.get("ref"),
                "recorded_at": commit.get("recorded_at"), "status": status, "steps": steps})
    return listing
