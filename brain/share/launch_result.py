"""How a hub launch ended, read back from what its child left: the result file (the run
record), its events, its exit code; and the record kept in the hub user's run store."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.share.events import Progress, progress_of, read_events

if TYPE_CHECKING:
    from brain.share.history import Launch
    from brain.share.limits import HubLimits


def events_file(launch: Launch) -> Path:
    """The launch's events (JSON lines), beside its log."""
    return Path(launch.log_path).with_name("events.jsonl")


def read_progress(launch: Launch) -> Progress:
    """What the launch's events say so far."""
    return progress_of(read_events(events_file(launch)))


def outcome(folder: Path, launch: Launch, code: int | None, message: str | None,
             limits: HubLimits) -> dict[str, Any]:
    """The history fields of a finished launch, from its exit code, result and events."""
    from brain.share.limits import signal_limit

    changes: dict[str, Any] = {"ended_at": time.time(), "exit_code": code}
    record = _read_json(folder / "result.json")
    if record:
        changes["run_id"] = record.get("id")
        changes["project_dir"] = _inside(folder / "sandbox", record.get("project_path"))
        changes["outputs"] = dict((record.get("extra") or {}).get("outputs") or {})
    progress = read_progress(launch)
    if progress.app_url:
        changes["app_url"] = progress.app_url
    limit = signal_limit(code, limits)
    if message is not None:
        changes["status"] = "failed"
        changes["message"] = message
    elif limit is not None:
        changes["status"] = "failed"
        changes["message"] = limit
    elif record and record.get("status") in ("succeeded", "failed", "interrupted"):
        changes["status"] = record["status"]
        if record["status"] != "succeeded":
            changes["message"] = (record.get("extra") or {}).get("error") or progress.error
    else:
        changes["status"] = "succeeded" if code == 0 else "failed"
        if code != 0:
            changes["message"] = progress.error or f"brain launch exited with code {code}"
    return changes


def keep_record(folder: Path, launch: Launch) -> None:
    """Copy the launch's run record (from its own store, in its sandbox) into the hub user's
    run store, as `brain run` records into it; a record that does not read back is left out."""

    from brain.runs.record import GitState, RunRecord
    from brain.runs.store import RunStore

    data = _read_json(folder / "result.json")
    if data is None:
        return
    names = set(RunRecord._fields)
    try:
        git = data.get("git")
        record = RunRecord(**{key: value for key, value in data.items()
                              if key in names and key != "git"},
                           git=GitState(**git) if isinstance(git, dict) else GitState())
        # What the hub launched, whatever the child says.
        record = record._replace(origin=launch.link)
        with RunStore() as store:
            store.insert(record)
    except Exception:  # the record came from the launch: a malformed one is only left out
        return


def _inside(sandbox: Path, project: object) -> str | None:
    """The launch's project folder when it lies in its own sandbox (outputs and reports are
    served from it), else None."""
    if not isinstance(project, str):
        return None
    root, folder = sandbox.resolve(), Path(project).resolve()
    return str(folder) if folder == root or root in folder.parents else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
