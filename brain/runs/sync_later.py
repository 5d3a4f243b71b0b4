"""The detached sync of the run spool into the store (brain.runs.store_sync), started by
`brain run` as it ends; standard library only, since the express run starts it too."""

from __future__ import annotations

import os
import sys

START_SYNC_DELAY = 0.5  # seconds a run goes on before its start is synced on its own


def sync_later() -> bool:
    """Start `python -m brain.runs.store_sync` detached; False when it could not start."""
    from brain.process_detached import start_detached
    from brain.process_env import scrubbed_environment

    return start_detached([sys.executable, "-m", "brain.runs.store_sync"],
                          env=scrubbed_environment({"PYTHONPATH": _import_path()}))


def _import_path() -> str:
    """Where this brain was imported from (a checkout run with `python -m brain` has no
    installed copy), for the sync process's PYTHONPATH."""
    import brain

    return os.path.dirname(os.path.dirname(os.path.realpath(brain.__file__)))
