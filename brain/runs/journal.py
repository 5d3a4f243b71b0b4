"""How `brain run` records a run without paying for the store on its own path.

The record goes to the local spool (brain.store.spool: a small JSON file, written atomically)
when the run starts and again when it ends, and a detached `python -m brain.runs.store_sync`
copies the spool into the store, idempotently by run id: once when the run ends, and once
when it is still going START_SYNC_DELAY seconds after it started (a short run's start and end
go in together, one Python start-up fewer competing with the run). Every reader (`brain runs`,
`brain log`, the hub, `brain store check`) syncs the spool before it reads, so the user's own
next command always sees the run; other users of a shared store see it once the detached sync
is done (normally within about a second). A store that is down only delays that: the record
stays in the spool until a later access succeeds.

Why: opening the store costs importing SQLAlchemy (about 0.1-0.3 s of CPU), several times
what the rest of `brain run` costs; the spool keeps one store code path (the sync is the
store's own) while `brain run` only writes a file. Standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brain.runs.record import RunRecord
from brain.runs.store_schema import dumps, loads, row_of
from brain.runs.sync_later import START_SYNC_DELAY as START_SYNC_DELAY

if TYPE_CHECKING:
    import threading


class RunJournal:
    """The record of one run as it happens: `start()`, then `finish(...)`."""

    def __init__(self, record: RunRecord) -> None:
        self.row = row_of(record)  # InvalidInput for what no store can keep, before the run
        self._start_sync: threading.Event | None = None  # set: no start sync is due

    def start(self) -> None:
        """Keep the `running` record and have it synced (at the latest with the end)."""
        from brain.process_waits import quiet_timer
        from brain.store.spool import keep

        keep(self.row, "start")
        self._start_sync = quiet_timer(START_SYNC_DELAY, _sync_later)

    def finish(self, status: str, exit_code: int | None, ended_at: float,
               extra: dict[str, Any] | None = None) -> None:
        """Keep how the run ended (`extra` merged into the record's) and have it synced."""
        from brain.store.spool import keep

        if self._start_sync is not None:
            self._start_sync.set()  # the end's sync takes the start file too
        merged = {**loads(self.row["extra"], {}), **(extra or {})}
        self.row = {**self.row, "status": status, "exit_code": exit_code,
                    "ended_at": ended_at, "extra": dumps(merged)}
        keep(self.row, "end")
        _sync_later()


def _sync_later() -> None:
    from brain.runs.sync_later import sync_later

    sync_later()
