"""Notebook entry points: the argv that executes one in the project's environment, and the
provenance record written beside its report.

A notebook run is an ordinary run (recorded, logged, exit code passed through) whose argv
starts brain's driver script (`driver.py`, standalone) with the environment's own `python`:
papermill injects the typed parameters after the cell tagged `parameters`, executes the
notebook with that environment's kernel, and nbconvert renders a standalone HTML file. Each
run's files go to `<project>/.brain/reports/<run id>/`: the executed notebook (kept up to
the failing cell when one fails), the HTML, and `provenance.json` (written here, after the
run, from the run record: commit, dirty, parameters, input hashes, environment, timings).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot, RunPlan
    from brain.runs.record import RunRecord

DRIVER = Path(__file__).resolve().parent / "driver.py"
REPORTS_DIR = ".brain/reports"  # relative to the project root (the run's cwd)
PROVENANCE_NAME = "provenance.json"
TIMINGS_NAME = "timings.json"  # written by the driver
PROVENANCE_FORMAT = 1


@dataclass(frozen=True)
class NotebookOutcome:
    """What a notebook run left behind, and the failing cell's error when one failed."""

    directory: Path
    html: Path | None  # None when the run ended before anything was rendered
    notebook: Path | None
    provenance: Path
    error: str | None = None


def notebook_command(
    name: str, entry: EntrySnapshot, values: Mapping[str, Value]
) -> tuple[str, list[str]]:
    """(command text for the record, argv) executing notebook entry point `name`.

    The command text is papermill's own spelling (`papermill NB -p name value`): stable
    across runs, so it can be part of the run cache key. The argv hands the typed values to
    the driver as JSON; the driver writes under `.brain/reports/$BRAIN_RUN_ID/`.
    """
    notebook = entry.notebook
    if not notebook:
        raise InvalidInput(f"notebook entry point {name!r} names no notebook",
                           hint="add `notebook: path/to/file.ipynb` to it in onebrain.yml")
    parameters = parameters_json(values)
    shown = ["papermill", notebook]
    for key, value in parameters.items():
        shown += ["-p", key, value if isinstance(value, str) else json.dumps(value)]
    argv = ["python", str(DRIVER), notebook, REPORTS_DIR, json.dumps(parameters)]
    if entry.kernel:
        shown += ["-k", entry.kernel]
        argv.append(entry.kernel)
    return shlex.join(shown), argv


def parameters_json(values: Mapping[str, Value]) -> dict[str, Any]:
    """Typed values as the notebook receives them: numbers and booleans as such, json values
    parsed (lists, dicts, null), dates as ISO text (what a `parameters` cell holds)."""
    from brain.params import plain

    return {name: plain(value) for name, value in values.items()}


def check_notebook(plan: RunPlan, notebook: str | None) -> None:
    """InvalidInput when the notebook file is missing or escapes the project."""
    if not notebook:
        return
    target = (plan.cwd / notebook).resolve()
    if not target.is_relative_to(plan.cwd.resolve()):
        raise InvalidInput(f"entry point {plan.entry_name!r}: notebook {notebook!r} is "
                           "outside the project", hint="keep notebooks inside the project")
    if not target.is_file():
        raise InvalidInput(f"entry point {plan.entry_name!r}: notebook {notebook} not found "
                           f"in {plan.cwd}", hint="fix `notebook:` in onebrain.yml")


def report_dir(root: Path, run_id: str) -> Path:
    """Where run `run_id`'s notebook, HTML and provenance live."""
    return root / REPORTS_DIR / run_id


def prepare_report_dir(root: Path, run_id: str) -> Path:
    """Make run `run_id`'s report folder before the driver runs, so that the driver (which
    only makes what is missing) never writes through a symlink a repository committed."""
    from brain.statefs import safe_dir, state_folder

    return safe_dir(state_folder(root, "reports"), run_id)


def write_provenance(plan: RunPlan, notebook: str, record: RunRecord) -> NotebookOutcome:
    """Write `provenance.json` for a finished notebook run; what the run left behind."""
    from brain import __version__
    from brain.file_hashes import hash_files
    from brain.statefs import write_atomic

    directory = prepare_report_dir(plan.project.root, record.id)
    timings = _read_json(directory / TIMINGS_NAME)
    executed = directory / str(timings.get("notebook") or Path(notebook).name)
    html = directory / str(timings.get("html") or executed.with_suffix(".html").name)
    error = _error_text(timings.get("error"))
    provenance = {
        "format": PROVENANCE_FORMAT,
        "run_id": record.id,
        "project": f"{record.namespace}/{record.project}",
        "version": record.version,
        "entry_point": record.entry_point,
        "notebook": notebook,
        "status": record.status,
        "exit_code": record.exit_code,
        "error": error,
        "parameters": record.parameters,
        "command": record.command,
        "commit": record.git.commit,
        "branch": record.git.branch,
        "dirty": record.git.dirty,
        "remote": record.git.remote,
        "inputs": {**hash_files(plan.cwd, [notebook]), **record.extra.get("inputs", {})},
        "environment": {"identity": record.env_identity, "backend": record.backend,
                        "python": record.python_version},
        "timings": {"started_at": record.started_at, "ended_at": record.ended_at,
                    "seconds": record.duration,
                    "execute_seconds": timings.get("execute_seconds"),
                    "render_seconds": timings.get("render_seconds")},
        "files": {"notebook": executed.name if executed.is_file() else None,
                  "html": html.name if html.is_file() else None},
        "host": record.host,
        "user": record.user,
        "brain": __version__,
        "checks": list(record.extra.get("checks") or []),  # data checks (brain.checks)
    }
    target = directory / PROVENANCE_NAME
    write_atomic(target, json.dumps(provenance, indent=2, default=str))
    if html.is_file():
        from brain.notebooks.report_page import finish

        finish(html, provenance)
    return NotebookOutcome(directory, html if html.is_file() else None,
                           executed if executed.is_file() else None, target, error)


def _error_text(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    where = f"cell In [{error['cell']}]" if error.get("cell") is not None else "the notebook"
    return f"{where} failed: {error.get('name')}: {error.get('value')}"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
