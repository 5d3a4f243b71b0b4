"""`python -m brain.runs.store_sync`: copy the local run spool into the store, quietly (the
detached helper of brain.runs.journal; any brain command that reads runs does the same).

It copies through the statements the store keeps compiled (brain.store.kept), so the helper
each `brain run` leaves behind imports no SQLAlchemy (about 0.3 s of CPU a run, competing with
the user's next command on a small machine); anything out of the ordinary goes the
SQLAlchemy way, which owns waiting, retries and messages.
"""

from __future__ import annotations


def main() -> int:
    """Sync; 0 when the spool is empty afterwards, 1 otherwise (nobody waits for it)."""
    if kept_sync():
        return 0
    # Only now: the SQLAlchemy path costs the helper several times what the kept one does.
    from brain.errors import BrainError
    from brain.runs.store import RunStore
    from brain.store.spool import clear_failure, note_failure

    shown = "the run store"
    try:
        with RunStore() as store:
            shown = store.shown
            store.sync_spool()
    except BrainError as error:
        # The store is down, the URL wrong, the file unwritable: the records wait in the
        # spool, and the next reader and `brain store check` say so and why.
        note_failure(shown, error.message)
        return 1
    clear_failure()
    return 0


def kept_sync() -> bool:
    """Copy the spool in through kept statements, each file in a transaction of its own as
    RunStore.sync_spool does; True when all went in (or none waited), False when the rest is
    the SQLAlchemy path's (no kept statements, a busy store, any error)."""
    from brain.runs.store_query import INSERT_NEW, OVERWRITE, bound
    from brain.store import kept, spool
    from brain.store.location import store_location

    waiting = list(spool.pending())
    if not waiting:
        return True
    connection = kept.open_kept(store_location(), write=True)
    if connection is None:
        return False
    try:
        for path, row in waiting:
            values = bound(row)
            if not connection.begin():
                return False
            added = connection.rows(INSERT_NEW, values)
            ended = path.name.endswith(".end.json")
            if added is None or (not added and ended and
                                 connection.rows(OVERWRITE, values) is None) \
                    or not connection.commit():
                connection.rollback()
                return False
            spool.done(path)
    finally:
        connection.close()
    spool.clear_failure()
    return True


if __name__ == "__main__":
    raise SystemExit(main())
