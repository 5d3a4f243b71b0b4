"""The notebook reports of a project: listed from their provenance records, newest first,
and a static `index.html` linking them all (relative links, so the folder can be copied or
served as it is)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.notebooks.execute import PROVENANCE_NAME, REPORTS_DIR

INDEX_NAME = "index.html"


@dataclass(frozen=True)
class Report:
    """One notebook run's report, as its provenance record describes it."""

    run_id: str
    directory: Path
    entry_point: str
    notebook: str
    status: str
    started_at: float
    parameters: dict[str, Any] = field(default_factory=dict)
    commit: str | None = None
    dirty: bool | None = None
    html: Path | None = None
    executed: Path | None = None
    error: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: the provenance record plus where the files are."""
        return {**self.provenance, "directory": str(self.directory),
                "html_path": str(self.html) if self.html else None,
                "notebook_path": str(self.executed) if self.executed else None}


def reports_root(project_root: Path) -> Path:
    """The folder holding one sub-folder per notebook run."""
    return project_root / REPORTS_DIR


def list_reports(project_root: Path) -> list[Report]:
    """Every report of the project, newest first (folders without a readable provenance
    record, such as a run still going, are left out)."""
    root = reports_root(project_root)
    if not root.is_dir():
        return []
    found = [report for child in root.iterdir() if child.is_dir()
             if (report := _read(child)) is not None]
    return sorted(found, key=lambda report: (report.started_at, report.run_id), reverse=True)


def report_of(project_root: Path, run_id: str) -> Report | None:
    """The report of exactly the run `run_id`, reading only its own folder; None if absent."""
    return _read(reports_root(project_root) / run_id)


def read_report(directory: Path) -> Report | None:
    """The report kept in `directory` (one run's folder, wherever it was copied); None if
    it holds no readable provenance record."""
    return _read(directory)


def find_report(project_root: Path, run_id: str) -> Report:
    """The report of the run whose id is `run_id` or starts with it."""
    wanted = run_id.strip().lower()
    if not wanted or not all(char in "0123456789abcdef" for char in wanted):
        raise InvalidInput(f"{run_id!r} is not a run id (hex digits)",
                           hint="`brain report list` shows the ids")
    matches = [report for report in list_reports(project_root)
               if report.run_id.startswith(wanted)]
    if not matches:
        raise InvalidInput(f"no report of run {run_id!r} in {reports_root(project_root)}",
                           hint="`brain report list` shows the reports of this project")
    if len(matches) > 1:
        from brain.runs.run_ids import ambiguous

        raise ambiguous(wanted, [report.run_id for report in matches], len(matches))
    return matches[0]


def write_index(project_root: Path, title: str | None = None) -> Path:
    """Write `<reports>/index.html` linking every report, newest first; returns its path."""
    from brain.statefs import state_folder, write_atomic

    root = state_folder(project_root, "reports")
    reports = list_reports(project_root)
    heading = title or f"Reports of {project_root.name}"
    from brain.notebooks.report_page import templates

    page = templates().get_template("reports_index.html").render(
        title=heading, reports=[_row(report, root) for report in reports],
        generated=_when(datetime.now().timestamp()))
    target = root / INDEX_NAME
    write_atomic(target, page)
    return target


def _row(report: Report, root: Path) -> dict[str, str | None]:
    commit = (report.commit or "")[:12] + (" (dirty)" if report.dirty else "")
    return {"run_id": report.run_id, "status": report.status,
            "link": report.html.relative_to(root).as_posix() if report.html else None,
            "started": _when(report.started_at), "entry_point": report.entry_point,
            "parameters": ", ".join(f"{key}={value}" for key, value in report.parameters.items()),
            "commit": commit or "no git",
            "status_text": report.status + (f": {report.error}" if report.error else "")}


def _read(directory: Path) -> Report | None:
    try:
        data = json.loads((directory / PROVENANCE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
        return None
    files = _mapping(data.get("files"))
    timings = _mapping(data.get("timings"))
    parameters = data.get("parameters")
    return Report(
        run_id=data["run_id"], directory=directory,
        entry_point=str(data.get("entry_point", "")), notebook=str(data.get("notebook", "")),
        status=str(data.get("status", "unknown")),
        started_at=float(timings.get("started_at") or 0.0),
        parameters=parameters if isinstance(parameters, dict) else {},
        commit=data.get("commit"), dirty=data.get("dirty"),
        html=_file(directory, files.get("html")), executed=_file(directory, files.get("notebook")),
        error=data.get("error"), provenance=data,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _file(directory: Path, name: Any) -> Path | None:
    if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
        return None  # a provenance record only ever names files beside it
    path = directory / name
    return path if path.is_file() else None


def _when(timestamp: float) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
