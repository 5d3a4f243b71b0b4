"""The activity feed of `brain log`: commits touching a project and runs of it, interleaved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from brain.errors import InvalidInput


@dataclass(frozen=True)
class Activity:
    """One line of the feed: a commit touching the project, or a run of it."""

    kind: Literal["commit", "run"]
    time: float  # unix seconds
    id: str
    title: str
    who: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(self.time, UTC).isoformat(timespec="seconds")
        return {"kind": self.kind, "time": self.time, "at": at, "id": self.id,
                "title": self.title, "who": self.who, **self.detail}


def activity(folder: Path, project: str | None, *, limit: int = 20) -> list[Activity]:
    """Commits touching `folder` and runs of `project` (`namespace/name`, None for every run),
    interleaved, newest first, at most `limit`."""
    if limit < 1:
        raise InvalidInput(f"--limit must be at least 1, got {limit}")
    # Every run of the workspace at its root: runs of projects elsewhere are not its history.
    items = _commits(folder, limit) + _runs(project, limit,
                                            under=folder.resolve() if project is None else None)
    # Newest first; at the same second a run follows the commit it ran (it comes later).
    items.sort(key=lambda item: (item.time, item.kind == "run"), reverse=True)
    return items[:limit]


def _commits(folder: Path, limit: int) -> list[Activity]:
    from brain.vcs.repository import recent_commits

    return [Activity("commit", commit.time, commit.sha, commit.subject, commit.author,
                     {"short": commit.sha[:8]}) for commit in recent_commits(folder, limit)]


def _runs(project: str | None, limit: int, *, under: Path | None) -> list[Activity]:
    from brain.runs.store import RunStore

    with RunStore() as store:
        records = store.list(project=project, limit=limit, under=under)
    items = []
    for run in records:
        commit = run.git.commit[:8] if run.git.commit else "no commit"
        dirty = "+dirty" if run.git.dirty else ""
        items.append(Activity(
            "run", run.started_at, run.id, f"run {run.entry_point}: {run.status}", run.user,
            {"project": f"{run.namespace}/{run.project}", "status": run.status,
             "exit_code": run.exit_code, "commit": run.git.commit, "dirty": run.git.dirty,
             "duration": run.duration, "code": f"{commit}{dirty}"}))
    return items
