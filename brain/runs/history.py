"""Reading the run history: open the store, mark runs whose owning process died, then ask.

Commands that show runs go through here, so that every one of them sees the same state
(a run killed mid-way shows as `unknown`, never as `running` forever). A plain list is
answered through statements kept by an earlier one (brain.store.kept) when nothing needs
syncing or reconciling: SQLAlchemy's import is most of what a list costs otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brain.runs.record import RunRecord
from brain.runs.store import RunStore

if TYPE_CHECKING:
    from brain.runs.store_query import ListFilters


def recent_runs(*, project: str | None = None, namespace: str | None = None,
                entry: str | None = None, status: str | None = None,
                limit: int = 20, sweep: str | None = None, user: str | None = None,
                since: float | None = None) -> list[RunRecord]:
    """Runs newest first, filtered (see RunStore.list), after reconciling dead runs."""
    from brain.runs.store_query import list_filters

    filters = list_filters(project=project, namespace=namespace, entry=entry, status=status,
                           limit=limit, sweep=sweep, under=None, user=user, since=since)
    found = _kept_list(filters)
    if found is not None:
        return found
    with RunStore() as store:
        store.reconcile(best_effort=True)
        return store.list(project=project, namespace=namespace, entry=entry, status=status,
                          limit=limit, sweep=sweep, user=user, since=since)


def _kept_list(filters: ListFilters) -> list[RunRecord] | None:
    """The list through statements kept from an earlier call (brain.store.kept), without
    SQLAlchemy, when that is the whole answer: the spool synced the same way (or empty) and
    no run of this host to reconcile. None otherwise: the caller asks the store as usual."""
    from brain.runs.provenance import host_name, process_alive
    from brain.runs.store_query import RUNNING_HERE
    from brain.runs.store_schema import record_of
    from brain.store import kept, spool
    from brain.store.location import store_location

    location = store_location()
    if spool.has_pending():
        from brain.runs.store_sync import kept_sync

        if not kept_sync():
            return None
        spool.leave_note(location.shown, left_over_only=True)  # files no sync can read
    reader = kept.open_kept(location)
    if reader is None:
        return None
    try:
        running = reader.rows(RUNNING_HERE, {"host": host_name()})
        if running is None or not all(process_alive(pid, started) for _, pid, started in running):
            return None
        rows = reader.rows(filters.key, filters.values)
        return None if rows is None else [record_of(row) for row in rows]
    except (ValueError, TypeError, KeyError):
        return None  # rows not of the shape a kept statement gives: ask the store
    finally:
        reader.close()


def kept_short_ids(ids: list[str]) -> dict[str, str] | None:
    """Each id's shortest unique prefix (brain.runs.run_ids.short_ids), asking the store for
    neighbours through a kept statement; None when that cannot answer."""
    from brain.runs.run_ids import short_ids
    from brain.runs.store_query import NEIGHBOURS
    from brain.store import kept
    from brain.store.location import store_location

    reader = kept.open_kept(store_location())
    if reader is None:
        return None

    def neighbours(run_id: str) -> tuple[str | None, str | None]:
        found = reader.rows(NEIGHBOURS, {"run_id": run_id})
        if not found or len(found[0]) != 2:
            raise LookupError(run_id)
        return found[0][0], found[0][1]

    try:
        return short_ids(ids, neighbours)
    except LookupError:
        return None
    finally:
        reader.close()


def find_runs(*run_ids: str, reconcile: bool = True) -> list[RunRecord]:
    """The runs named by ids or unique prefixes, in order; InvalidInput for an unknown or
    ambiguous one."""
    with RunStore() as store:
        if reconcile:
            store.reconcile(best_effort=True)
        return [store.get(run_id) for run_id in run_ids]
