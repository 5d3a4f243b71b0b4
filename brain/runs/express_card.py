"""The card of an express run (brain.runs.express): written after a full run, when the run was
decided by files a stat can watch, with the guards that say when it no longer holds."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.envs.identity import Stamp
    from brain.run_plan import RunPlan
    from brain.runs.record import RunRecord

_GUARDED_VARIABLES = ("MLFLOW_TRACKING_URI", "GIT_DIR", "GIT_WORK_TREE")  # set or not


def keep_card(plan: RunPlan, record: RunRecord, *, project: str | os.PathLike[str] | None,
              entry: str | None, params: tuple[str, ...], started: str,
              planned_at: int) -> bool:
    """After a full run of `plan` that ended as `record`, keep the card the next run with the
    same arguments is expressed from, when one can be kept; `started` is the text the run's
    first note shows after its id, `planned_at` when planning began (time.time_ns(): a file
    changed since may not be what the plan was made of). True when a card was kept."""
    found = card_for(plan, record, project, started)
    if found is None:
        return False
    from brain.paths import cache_dir
    from brain.runs.express import EXPRESS_KIND, run_key
    from brain.settled import remember

    answer, guards = found
    return remember(str(cache_dir()), EXPRESS_KIND, run_key(project, entry, params), answer,
                    guards, _GUARDED_VARIABLES, computed_at=planned_at)


def card_for(plan: RunPlan, record: RunRecord, project: str | os.PathLike[str] | None,
             started: str) -> tuple[dict[str, object], list[tuple[str, str]]] | None:
    """(answer, guards) of the card for `plan`, or None when its run is not decided by files
    alone (brain.runs.express says which runs are)."""
    root = Path(os.path.realpath(plan.project.root))
    asked = os.path.realpath(project or os.curdir)
    if asked != str(root) or not _plain(plan, record):
        return None
    from brain.envs.identity import quick_ready
    from brain.rlang.plans import declared, library_dir
    from brain.runs.mlflow_config import configured_uri
    from brain.vcs.state import DISCOVERY_VARIABLES, discovery_markers

    markers = discovery_markers(root)
    # In a repository the express run asks git for the code's state, as the full run does;
    # outside one, the paths whose appearance would make one are guarded instead.
    in_repository = any(name in os.environ for name in DISCOVERY_VARIABLES) or any(
        os.path.lexists(marker) for marker in markers)
    stamp = quick_ready(root)
    if (stamp is None or stamp.identity != record.env_identity or declared(root) is not False
            or os.path.lexists(library_dir(root)) or configured_uri() is not None):
        return None
    runs, spool = _places(root)
    if runs is None or spool is None:
        return None
    absent = [str(library_dir(root)), *([] if in_repository else markers)]
    answer = _answer(plan, record, root, runs, spool, started)
    answer["git"] = in_repository
    return answer, _guards(root, stamp, runs, spool, absent)


def _plain(plan: RunPlan, record: RunRecord) -> bool:
    """One step of the venv backend, with nothing the run reads or writes beyond its argv."""
    from brain.entrypoints import entry_type

    entry = plan.project.entry_points.get(plan.entry_name)
    if entry is None or plan.port is not None or plan.inputs or plan.outputs:
        return False
    if entry.metrics or entry.checks or entry.depends_on or plan.project.datasets:
        return False
    if any(parameter.type == "path" for parameter in entry.parameters.values()):
        return False  # where a link in the project leads is checked on every run
    kind = entry_type(plan.entry_type)
    if kind.long_running or kind.produces_report:
        return False
    return (record.backend == "venv" and record.origin is None
            and set(record.extra) == {"entry_type", "argv"})


def _places(root: Path) -> tuple[str | None, str | None]:
    """`.brain/runs` and the spool, when both are folders of brain's (made by the run)."""
    from brain.store.spool import spool_folder

    runs = str(root / ".brain" / "runs")
    try:
        spool = str(spool_folder(create=False))
    except (OSError, ValueError):
        return None, None
    for folder in (runs, spool):
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return None, None
        except OSError:
            return None, None
    return runs, spool


def _answer(plan: RunPlan, record: RunRecord, root: Path, runs: str, spool: str,
            started: str) -> dict[str, object]:
    from brain.paths import project_venv_dir
    from brain.run_plan import RUN_DIR_VARIABLE
    from brain.runs.express import PER_RUN
    from brain.runs.store_schema import row_of

    row = row_of(record._replace(status="running", exit_code=None, ended_at=None))
    for name in PER_RUN:
        del row[name]
    return {"argv": list(plan.argv), "cwd": str(plan.cwd), "runs": runs, "spool": spool,
            "variables": {name: value for name, value in plan.variables.items()
                          if name != "BRAIN_RUN_ID"},
            "venv": str(project_venv_dir(root)), "run_dir_variable": RUN_DIR_VARIABLE,
            "row": row, "started": started, "root": str(root)}


def _guards(root: Path, stamp: Stamp, runs: str, spool: str,
            absent: list[str]) -> list[tuple[str, str]]:
    """The environment's files (brain.envs.identity.settled_files), the folders a run writes
    in, the paths that must stay absent, and brain's own code that planned the run."""
    import sys

    from brain.envs.identity import settled_files
    from brain.settled import FOLDER, FOLLOW, LINK

    # Every module of brain's this run loaded planned, rendered or recorded some of it.
    code = sorted((str(module.__file__), FOLLOW) for name, module in list(sys.modules.items())
                  if (name == "brain" or name.startswith("brain.")) and module is not None
                  and getattr(module, "__file__", None))
    return [*settled_files(root, stamp), (runs, FOLDER), (spool, FOLDER),
            *((path, LINK) for path in absent), *code]
