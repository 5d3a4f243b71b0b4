"""`brain run --sweep`: every point of a parameter sweep, then a table comparing them.

Status lines go to stderr, and so does the points' own output, each line prefixed by the
point's values, when several run at once (one at a time, it streams to stdout as a plain
run's does). The closing table, or the records with --json, go to stdout.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, cast

from brain.cli import output
from brain.cli.run_notes import note_mlflow, note_mlflow_end

if TYPE_CHECKING:
    from brain.run_plan import RunPlan
    from brain.runs.record import RunRecord
    from brain.runs.snapshot import ProjectSnapshot


def run_sweep_command(project: ProjectSnapshot, entry: str | None, given: Mapping[str, str],
                      sweeps: tuple[str, ...], *, backend: str, parallel: int | None,
                      setup: bool, as_json: bool) -> int:
    """Plan, run and compare the sweep; the exit code brain exits with."""
    from brain.runs.sweep import comparison, parse_axes, plan_sweep, run_sweep

    sweep = plan_sweep(project, entry, given, parse_axes(sweeps))
    # Remote backends run points side by side by default: the cluster schedules them.
    at_once = parallel or (len(sweep.plans) if backend == "ray" else 1)
    plans = sweep.plans
    output.note(f"sweep {sweep.id}: {len(plans)} points of {plans[0].entry_name}, "
                f"{min(at_once, len(plans))} at a time")
    lock = threading.Lock()

    def started(record: RunRecord) -> None:
        output.note(f"run {record.id}: {_point(record.parameters, sweep.names)}")
        note_mlflow(record)

    def sink(plan: RunPlan) -> IO[str] | None:
        if at_once == 1 and not as_json:
            return None
        return cast("IO[str]", _Prefixed(f"[{_point(plan.parameters, sweep.names)}] ", lock))

    results = run_sweep(sweep, backend=backend, parallel=at_once, setup=setup,
                        progress=lambda phrase: output.note(f"setup: {phrase}"),
                        on_started=started, output=sink)
    records = [result.record for result in results]
    for record in records:
        for warning in record.extra.get("metrics_warnings") or ():
            output.warn(f"run {record.id}: {warning}")
        note_mlflow_end(record)
    if as_json:
        output.print_json({"sweep": sweep.id, "runs": [record.as_dict() for record in records]})
    else:
        headers, rows = comparison(records, sweep.names)
        output.table(f"sweep {sweep.id}", headers, rows)
    failed = [result for result in results if result.exit_code != 0]
    output.note(f"sweep {sweep.id}: {len(results) - len(failed)} of {len(results)} points "
                f"succeeded; brain runs list --sweep {sweep.id}")
    return failed[0].exit_code if failed else 0


def _point(parameters: Mapping[str, object], names: tuple[str, ...]) -> str:
    from brain.runs.sweep import comparison_value

    return " ".join(f"{name}={comparison_value(parameters.get(name))}" for name in names)


class _Prefixed:
    """A text stream that writes whole lines, each prefixed, to stdout (or stderr under
    --json), so the output of points running at once stays readable."""

    def __init__(self, prefix: str, lock: threading.Lock) -> None:
        self._prefix = prefix
        self._lock = lock
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        if lines:
            with self._lock:
                sys.stderr.write("".join(f"{self._prefix}{line}\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()
