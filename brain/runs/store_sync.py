"""`python -m brain.runs.store_sync`: copy the local run spool into the store, quietly (the
detached helper of brain.runs.journal; any brain command that reads runs does the same)."""

from __future__ import annotations


def main() -> int:
    """Sync; 0 when the spool is empty afterwards, 1 otherwise (nobody waits for it)."""
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


if __name__ == "__main__":
    raise SystemExit(main())
