"""The hub's launches: each one a `brain launch` child process, capped, timed, logged.

A child process (not a thread of the hub) runs each launch, so a launch's output, its
environment and its failure stay its own; the hub kills it (its whole process group, through
brain.process) when it outlives the timeout. The child's stderr is the launch log the page
streams; its lines `brain: phase NAME` and `brain: app ready at URL` carry the progress.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import BrainError
from brain.share.history import Launch, LaunchHistory

if TYPE_CHECKING:
    import subprocess

    from brain.share.url import LaunchLink

PHASE_MARK = "brain: phase "
READY_MARK = "brain: app ready at "
_PHASE = re.compile(r"^brain: phase ([a-z-]+)\s*$", re.MULTILINE)
_READY = re.compile(r"^brain: app ready at (\S+)\s*$", re.MULTILINE)
_ERROR = re.compile(r"^error: (.+)$", re.MULTILINE)


class TooBusy(BrainError):
    """The hub already runs as many launches as it may (HTTP 429)."""


@dataclass(frozen=True)
class LauncherSettings:
    """Limits and places for launches."""

    state_dir: Path  # BRAIN_HOME/hub: launches.db and one folder per launch
    max_concurrent: int = 2
    timeout: float = 1800.0  # seconds a launch may run, environment build included


class Launcher:
    """Starts launches as child processes and keeps their history."""

    def __init__(self, settings: LauncherSettings, history: LaunchHistory) -> None:
        self.settings = settings
        self.history = history
        self._lock = threading.Lock()
        self._children: dict[str, subprocess.Popen[bytes] | None] = {}

    def active(self) -> int:
        """How many launches run now."""
        with self._lock:
            return len(self._children)

    def start(self, link: LaunchLink) -> Launch:
        """Start `link` (already admitted and validated); TooBusy past the cap."""
        launch_id = secrets.token_hex(8)
        folder = self.settings.state_dir / "launches" / launch_id
        with self._lock:
            if len(self._children) >= self.settings.max_concurrent:
                raise TooBusy(f"the hub already runs {len(self._children)} launches "
                              f"(limit {self.settings.max_concurrent})",
                              hint="wait for one to finish and try again")
            self._children[launch_id] = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            launch = Launch(id=launch_id, created_at=time.time(), status="running",
                            link=link.to_url(), repo=link.repo, commit_sha=link.commit,
                            path=link.path, entry=link.entry, params=dict(link.params),
                            log_path=str(folder / "log.txt"))
            (folder / "log.txt").touch()
            self.history.add(launch)
        except BaseException:
            with self._lock:
                self._children.pop(launch_id, None)
            raise
        thread = threading.Thread(target=self._run, args=(launch, folder), daemon=True,
                                  name=f"launch-{launch_id}")
        thread.start()
        return launch

    def stop(self, launch_id: str) -> bool:
        """Stop one running launch (Ctrl-C to its process group); False if it is not running."""
        from brain.process import stop_process_group

        with self._lock:
            child = self._children.get(launch_id)
        if child is None:
            return False
        stop_process_group(child)
        return True

    def stop_all(self) -> None:
        """Stop every running launch (the hub is shutting down)."""
        from brain.process import stop_process_group

        with self._lock:
            children = [child for child in self._children.values() if child is not None]
        for child in children:
            stop_process_group(child)

    def _run(self, launch: Launch, folder: Path) -> None:
        from brain.process import run_live, scrubbed_environment, stop_process_group

        timed_out = threading.Event()
        timers: list[threading.Timer] = []

        def started(child: subprocess.Popen[bytes]) -> None:
            with self._lock:
                self._children[launch.id] = child

            def expire() -> None:
                timed_out.set()
                stop_process_group(child)

            timer = threading.Timer(self.settings.timeout, expire)
            timer.daemon = True
            timer.start()
            timers.append(timer)

        argv = [sys.executable, "-m", "brain", "launch", "--json", "--", launch.link]
        code: int | None = None
        message: str | None = None
        try:
            code, _ = run_live(argv, cwd=folder, env=scrubbed_environment({"NO_COLOR": "1"}),
                               stdout_log=folder / "result.json",
                               stderr_log=Path(launch.log_path), on_start=started,
                               stdout=io.StringIO())
        except BrainError as error:
            message = error.message
        except Exception as error:  # a launch thread must always finish its row
            message = f"internal error: {type(error).__name__}: {error}"
        finally:
            for timer in timers:
                timer.cancel()
            with self._lock:
                self._children.pop(launch.id, None)
        self.history.update(launch.id, **_outcome(folder, launch, code, message,
                                                  timed_out.is_set(), self.settings.timeout))


def _outcome(folder: Path, launch: Launch, code: int | None, message: str | None,
             timed_out: bool, timeout: float) -> dict[str, Any]:
    """The history fields of a finished launch, from its exit code, result and log."""
    changes: dict[str, Any] = {"ended_at": time.time(), "exit_code": code}
    record = _read_json(folder / "result.json")
    if record:
        changes["run_id"] = record.get("id")
        changes["project_dir"] = record.get("project_path")
        changes["outputs"] = dict((record.get("extra") or {}).get("outputs") or {})
    progress = read_progress(Path(launch.log_path))
    if progress.app_url:
        changes["app_url"] = progress.app_url
    if timed_out:
        changes["status"] = "timed-out"
        changes["message"] = f"stopped after the hub's {timeout:g}s limit per launch"
    elif message is not None:
        changes["status"] = "failed"
        changes["message"] = message
    elif record and record.get("status") in ("succeeded", "failed", "interrupted"):
        changes["status"] = record["status"]
        if record["status"] != "succeeded":
            changes["message"] = (record.get("extra") or {}).get("error") or progress.error
    else:
        changes["status"] = "succeeded" if code == 0 else "failed"
        if code != 0:
            changes["message"] = progress.error or f"brain launch exited with code {code}"
    return changes


@dataclass(frozen=True)
class Progress:
    """What a launch log says so far: the phase reached, an app's URL, the error."""

    phase: str | None
    app_url: str | None
    error: str | None


def read_progress(log: Path) -> Progress:
    """Scan a launch log for its progress markers."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Progress(None, None, None)
    phases = _PHASE.findall(text)
    ready = _READY.findall(text)
    errors = _ERROR.findall(text)
    return Progress(phases[-1] if phases else None, ready[-1] if ready else None,
                    errors[-1] if errors else None)


def read_log(log: Path, offset: int, limit: int = 1 << 20) -> tuple[bytes, int]:
    """Bytes of `log` from `offset` (at most `limit`), and the offset to ask for next."""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, offset))
            data = handle.read(limit)
    except OSError:
        return b"", offset
    return data, max(0, offset) + len(data)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
