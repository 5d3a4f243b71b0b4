"""Reading the run history: open the store, mark runs whose owning process died, then ask.

Commands that show runs go through here, so that every one of them sees the same state
(a run killed mid-way shows as `unknown`, never as `running` forever).
"""

from __future__ import annotations

from brain.runs.record import RunRecord
from brain.runs.store import RunStore


def recent_runs(*, project: str | None = None, namespace: str | None = None,
                entry: str | None = None, status: str | None = None,
                limit: int = 20, sweep: str | None = None, user: str | None = None,
                since: float | None = None) -> list[RunRecord]:
    """Runs newest first, filtered (see RunStore.list), after reconciling dead runs."""
    with RunStore() as store:
        store.reconcile(best_effort=True)
        return store.list(project=project, namespace=namespace, entry=entry, status=status,
                          limit=limit, sweep=sweep, user=user, since=since)


def find_runs(*run_ids: str, reconcile: bool = True) -> list[RunRecord]:
    """The runs named by ids or unique prefixes, in order; InvalidInput for an unknown or
    ambiguous one."""
    with RunStore() as store:
        if reconcile:
            store.reconcile(best_effort=True)
        return [store.get(run_id) for run_id in run_ids]
