"""Where a run came from: the git state of its code (brain.vcs.state), the host, the user,
the owning process."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Re-exported: the run core asks this module for a run's provenance.
from brain.runs.run_origin import host_name as host_name
from brain.runs.run_origin import user_name as user_name
from brain.vcs.state import git_state as git_state

if TYPE_CHECKING:
    from brain.envs.base import SourceRevision

# A pid whose process started this long after the run did is a reused pid, not the owner
# (/proc start times have clock-tick precision against a boot time in whole seconds).
_START_SLACK_SECONDS = 2.0


def source_revision(path: Path) -> SourceRevision:
    """The commit and dirty flag of the repository holding `path`, for a backend's labels."""
    from brain.envs.base import SourceRevision

    state = git_state(path)
    return SourceRevision(state.commit, state.dirty)


def process_alive(pid: int, started_at: float) -> bool:
    """Whether process `pid` on this host still exists and is the one that started a run at
    `started_at` (a recycled pid or a zombie does not count)."""
    if pid <= 0:
        return False
    try:
        # PermissionError: it exists, owned by another user.
        with contextlib.suppress(PermissionError):
            os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): trust kill(0)
    state, started = stat
    if state in ("Z", "X"):
        return False
    return started is None or started <= started_at + _START_SLACK_SECONDS


def _proc_stat(pid: int) -> tuple[str, float | None] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = text[text.rfind(")") + 2:].split()
    state = fields[0] if fields else "?"
    try:
        ticks = int(fields[19])  # field 22 of the whole line: start time in clock ticks
        return state, _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError, OSError):
        return state, None


def _boot_time() -> float:
    with contextlib.suppress(OSError):  # no /proc: the estimate below
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    return time.time() - time.monotonic()  # close enough where /proc/stat is unreadable
