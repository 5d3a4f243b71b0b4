"""`python -m brain.runs.store_sync`: copy the local run spool into the store, quietly (the
detached helper of brain.runs.journal; any brain command that reads runs does the same)."""

from __future__ import annotations


def main() -> int:
    """Sync; 0 when the spool is empty afterwards, 1 otherwise (nobody waits for it)."""
    from brain.errors import BrainError
    from brain.runs.store import RunStore

    try:
        with RunStore() as store:
            store.sync_spool()
    except BrainError:
        return 1  # the store is down or broken: the spool waits for the next access
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
