"""How a run ended, from its child's exit code and the signal that stopped it: the status and
codes the runner (brain.runs.runner) and the express run (brain.runs.express) both record.
Nothing imported: the express run is on the fast path."""

from __future__ import annotations

EXIT_INTERRUPTED = 130  # brain.errors' value (a test keeps them equal)
_SIGINT = 2  # signal.SIGINT on every platform brain runs on (importing signal costs ~1 ms)


def outcome_of(code: int, stopped_by: int | None) -> tuple[str, int, int]:
    """(status, the code the record keeps, the code brain exits with) for a child that ended
    with `code`: a run stopped by Ctrl-C exits 130 and keeps the child's code; one stopped by
    SIGTERM/SIGHUP sent to brain exits, and keeps, 128+signal (143, 129)."""
    if stopped_by is None:
        return ("succeeded" if code == 0 else "failed"), code, code
    exit_code = EXIT_INTERRUPTED if stopped_by == _SIGINT else 128 + stopped_by
    return "interrupted", code if exit_code == EXIT_INTERRUPTED else exit_code, exit_code
