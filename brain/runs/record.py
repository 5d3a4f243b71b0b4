"""A run record: everything needed to answer "which code, inputs and parameters made this?"."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from brain.vcs.state import GitState as GitState  # the run record holds one

STATUSES = ("running", "succeeded", "failed", "interrupted", "unknown")


class RunRecord(NamedTuple):
    """One run of one entry point."""

    id: str
    namespace: str
    project: str
    version: str
    project_path: str
    entry_point: str
    parameters: dict[str, Any]
    command: str  # the rendered command (or argv joined), as run
    backend: str  # the name of the environment backend (brain.envs.select)
    env_identity: str
    spec_hash: str
    python_version: str | None
    host: str
    user: str
    pid: int  # the brain process that owns the record (to reconcile orphans)
    started_at: float  # unix seconds
    git: GitState = GitState()
    ended_at: float | None = None
    status: str = "running"
    exit_code: int | None = None
    stdout_log: str | None = None
    stderr_log: str | None = None
    origin: str | None = None  # e.g. the launch URL a run came from
    # Inputs/outputs hashes, cache info. The default is shared: a record made without one
    # is given a new dict (`_replace`) before anything is added.
    extra: dict[str, Any] = {}  # noqa: RUF012 (see above)

    @property
    def metrics(self) -> dict[str, float | int]:
        """The numbers the run reported in its declared metrics file (brain.runs.metrics)."""
        found = self.extra.get("metrics")
        return dict(found) if isinstance(found, dict) else {}

    @property
    def sweep(self) -> str | None:
        """The id of the sweep this run is a point of (brain.runs.sweep), if any."""
        found = self.extra.get("sweep")
        return found if isinstance(found, str) else None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, when ended."""
        return None if self.ended_at is None else self.ended_at - self.started_at

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        import copy  # only `--json` asks: not on every run's path

        data = copy.deepcopy(self._asdict())
        data["git"] = self.git._asdict()
        data["duration"] = self.duration
        data["metrics"] = self.metrics
        data["sweep"] = self.sweep
        return data


def tail_lines(path: str | Path | None, count: int) -> list[str] | None:
    """The last `count` lines of a log file, or None when there is no such file.

    Reads backwards in blocks so the tail of a large log costs what the tail holds.
    """
    if path is None or count <= 0:
        return None if path is None else []
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            position = log.tell()
            data = b""
            while position > 0 and data.count(b"\n") <= count:
                step = min(_BLOCK, position)
                position -= step
                log.seek(position)
                data = log.read(step) + data
    except OSError:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[-count:]


_BLOCK = 65536
