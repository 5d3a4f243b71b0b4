"""Parameter sweeps: one entry point run at every point of a cartesian product of values.

`--sweep alpha=0.1,0.3 --sweep mode=fast,full` is four points. Every point is planned (so
every value typed and checked, as `-P` would be) before any runs; each is then a normal run
through the runner, recorded with the sweep's id in `extra["sweep"]`. Points may run at the
same time (`parallel`): each gets a folder of its own in BRAIN_RUN_DIR (its logs' folder,
see brain.runs.runner) for its files and metrics, so they never write over one another.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from brain.errors import InvalidInput

if TYPE_CHECKING:
    import subprocess

    from brain.envs.base import Progress
    from brain.run_plan import RunPlan
    from brain.runs.record import RunRecord
    from brain.runs.runner import RunResult
    from brain.runs.snapshot import ProjectSnapshot

MAX_POINTS = 10_000  # a typo in a sweep must not start a million runs


@dataclass(frozen=True)
class Sweep:
    """A planned sweep: its id, the swept names, and one plan per point (product order)."""

    id: str
    names: tuple[str, ...]
    plans: tuple[RunPlan, ...]


def parse_axes(pairs: Iterable[str]) -> dict[str, list[str]]:
    """`name=v1,v2,...` texts into {name: values}; each name once, each list non-empty."""
    axes: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, values = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidInput(f"sweep {pair!r} is not in the form name=value1,value2",
                               hint="write --sweep alpha=0.1,0.3,0.9")
        if name in axes:
            raise InvalidInput(f"parameter {name!r} is swept twice",
                               hint="list all its values in one --sweep name=a,b,c")
        axes[name] = values.split(",")
    return axes


def plan_sweep(project: ProjectSnapshot, entry_name: str | None, given: Mapping[str, str],
               axes: Mapping[str, list[str]]) -> Sweep:
    """Every point planned and checked; InvalidInput before anything runs."""
    from brain.runs.plan import find_entry, plan_run
    from brain.runs.run_ids import new_run_id

    if not axes:
        raise InvalidInput("a sweep needs at least one --sweep name=values")
    fixed_and_swept = sorted(set(given) & set(axes))
    if fixed_and_swept:
        raise InvalidInput(f"{', '.join(fixed_and_swept)} given both with -P and --sweep",
                           hint="pass each parameter one way")
    name, entry = find_entry(project, entry_name)
    if entry.depends_on:
        raise InvalidInput(f"entry point {name!r} has prerequisites ({', '.join(entry.depends_on)})"
                           "; a sweep runs one entry point",
                           hint="run the prerequisites first with brain run -e NAME")
    count = 1
    for values in axes.values():
        count *= len(values)
    if count > MAX_POINTS:
        raise InvalidInput(f"the sweep has {count} points, more than {MAX_POINTS}",
                           hint="sweep fewer values")
    plans = []
    problems: list[str] = []
    for combination in itertools.product(*axes.values()):
        point = dict(zip(axes, combination, strict=True))
        try:
            plans.append(plan_run(project, name, {**given, **point}))
        except InvalidInput as error:
            if error.message not in problems:
                problems.append(error.message)
    if problems:
        raise InvalidInput("; ".join(problems[:5]) + (" ..." if len(problems) > 5 else ""),
                           hint="every swept value must fit its parameter, as with -P")
    return Sweep(new_run_id(), tuple(axes), tuple(plans))


def run_sweep(sweep: Sweep, *, backend: str, parallel: int = 1, setup: bool = True,
              progress: Progress | None = None,
              on_started: Callable[[RunRecord], None] | None = None,
              output: Callable[[RunPlan], IO[str] | None] | None = None) -> list[RunResult]:
    """Run every point (`parallel` at a time); results in point order.

    The environment is made ready once, before the first point. Ctrl-C stops every running
    point (their records say so) and is raised again once they have ended.
    """
    from brain.runs.runner import environment, execute

    if parallel < 1:
        raise InvalidInput(f"--parallel must be at least 1, got {parallel}")
    first = sweep.plans[0]
    if setup:
        environment(first, backend).ensure(progress)
    children = _Children()

    def point(plan: RunPlan) -> RunResult:
        if children.stopping.is_set():
            raise KeyboardInterrupt
        return execute(plan, backend=backend, setup=False, on_started=on_started,
                       on_process=children.add, extra={"sweep": sweep.id},
                       stdout=output(plan) if output is not None else None,
                       stopping=children.stopping)

    with ThreadPoolExecutor(max_workers=min(parallel, len(sweep.plans))) as pool:
        futures = [pool.submit(point, plan) for plan in sweep.plans]
        try:
            return [_result(future) for future in futures]
        except KeyboardInterrupt:
            children.stop_all()
            for future in futures:
                future.cancel()
            raise


def _result(future: Future[RunResult]) -> RunResult:
    """The point's result, waited for in short steps: the points' threads start processes,
    so they cannot block signals (see brain.process.quiet_thread), and a Ctrl-C the kernel
    hands to one of them is only flagged for the main thread, which a wait without a timeout
    would never check."""
    from brain.process_waits import WAKE_SECONDS

    while True:
        try:
            return future.result(timeout=WAKE_SECONDS)
        except TimeoutError:
            continue


class _Children:
    """The processes of the running points, so that Ctrl-C (seen by the main thread only)
    can stop them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: list[subprocess.Popen[bytes]] = []
        self.stopping = threading.Event()

    def add(self, child: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._live.append(child)
        if self.stopping.is_set():
            self.stop_all()

    def stop_all(self) -> None:
        from brain.process import stop_process_group

        self.stopping.set()
        with self._lock:
            live = [child for child in self._live if child.poll() is None]
        threads = [threading.Thread(target=stop_process_group, args=(child,)) for child in live]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def comparison(records: list[RunRecord], names: Iterable[str]) -> tuple[list[str],
                                                                        list[list[str]]]:
    """The closing table of a sweep: a row per point (id, status, swept values, metrics)."""
    swept = list(names)
    metric_names = sorted({name for record in records for name in record.metrics})
    headers = ["RUN", "STATUS", *swept, *metric_names]
    rows = []
    for record in records:
        metrics = record.metrics
        rows.append([record.id, record.status if not record.exit_code
                     else f"{record.status} ({record.exit_code})",
                     *(comparison_value(record.parameters.get(name)) for name in swept),
                     *(comparison_value(metrics.get(name, "-")) for name in metric_names)])
    return headers, rows


def comparison_value(value: object) -> str:
    """A value as the sweep table shows it."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)
