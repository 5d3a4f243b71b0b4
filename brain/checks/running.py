"""Running one stage of a run's data checks in the project's environment.

The checks of a stage (before or after the entry point) go to one driver process
(brain.checks.driver) started through the environment's own invocation and brain.process,
exactly as the entry point is: the same interpreter and packages, the same scrubbed
variables, the same limits when the run itself is limited (a hub launch), signals
forwarded. Its output goes to the run's log folder; its results come back as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.checks import check_kind
from brain.checks.base import ERROR, CheckItem, CheckOutcome, CheckResult
from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.envs.base import Invocation

DRIVER = Path(__file__).resolve().parent / "driver.py"
MAX_FAILURES = 200  # failing values kept per check (the count is always exact)
CHUNK_ROWS = 100_000  # rows of a table held in memory at once
RESULTS_CAP = 8_000_000  # bytes of driver results brain reads back

Invoke = Callable[[Sequence[str], Mapping[str, str]], "Invocation"]


def run_stage(items: Sequence[CheckItem], when: str, *, root: Path, folder: Path,
              invoke: Invoke, variables: Mapping[str, str]) -> CheckOutcome:
    """Run the checks of `items` that belong to stage `when` ("before"/"after").

    `folder` (the run's log folder, brain's own) receives the job, the results and the
    driver's log. A check whose files leave the project is refused (InvalidInput) before
    anything runs; a driver that dies is an error result for every check, never a pass.
    """
    from brain.process import run_live

    chosen = [item for item in items if item.when == when]
    if not chosen:
        return CheckOutcome()
    jobs = [check_kind(item.kind).job(item, root) for item in chosen]
    job_file, result_file = folder / f"checks-{when}.job.json", folder / f"checks-{when}.json"
    _write(job_file, {"checks": jobs, "max_failures": MAX_FAILURES, "chunk_rows": CHUNK_ROWS})
    with contextlib.suppress(FileNotFoundError):  # an earlier attempt's results
        result_file.unlink()
    invocation = invoke(["python", str(DRIVER), str(job_file), str(result_file)], variables)
    log = folder / f"checks-{when}.log"
    with open(os.devnull, "w") as quiet:
        code, stopped_by = run_live(invocation.argv, cwd=root, env=invocation.env,
                                    stdout_log=log, stderr_log=log, stdout=quiet, stderr=quiet)
    if stopped_by is not None:  # the run is being stopped: no verdict on its data
        import signal

        from brain.errors import Terminated

        if stopped_by == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(stopped_by)
    found = _read(result_file)
    if found is None:
        message = f"the check driver exited {code} without results (see {log})"
        return CheckOutcome([CheckResult(item.label, item.kind, when, ERROR, message=message)
                             for item in chosen])
    return CheckOutcome([CheckResult.from_dict(result) for result in found])


def _write(path: Path, data: dict[str, Any]) -> None:
    from brain.statefs import write_atomic

    write_atomic(path, json.dumps(data))


def _read(path: Path) -> list[dict[str, Any]] | None:
    from brain.statefs import UnsafeState, read_text

    try:
        raw = read_text(path, limit=RESULTS_CAP + 1)  # never through a link the checks made
    except (OSError, ValueError, UnsafeState):  # missing, not a plain file, not UTF-8
        return None
    if len(raw) > RESULTS_CAP:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return None
    return [result for result in results if isinstance(result, dict)]


def require_local_files(backend_keeps_files: bool, backend_name: str, entry: str) -> None:
    """InvalidInput when the backend cannot see brain's driver and the project's files."""
    if not backend_keeps_files:
        raise InvalidInput(f"entry point {entry!r} declares data checks, which run with the "
                           f"project's folder at hand; the {backend_name} backend does not "
                           "have it yet", hint="use --backend venv")
