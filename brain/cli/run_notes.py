"""The lines `brain run` prints about a run besides its own output: the MLflow link, and how
it ended (shared by single runs, pipelines and sweeps)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from brain.cli import output

if TYPE_CHECKING:
    from brain.runs.record import RunRecord


def note_mlflow(record: RunRecord) -> None:
    """Where the run logs in MLflow, or one warning saying why it is not linked."""
    linked = record.extra.get("mlflow")
    if not isinstance(linked, dict):
        return
    if linked.get("linked"):
        output.note(f"mlflow run {linked.get('run_id')}: {linked.get('url')}")
    else:
        output.warn(f"MLflow tracking at {linked.get('tracking_uri')}: {linked.get('error')}; "
                    "the run goes on without an MLflow run")


def note_mlflow_end(record: RunRecord) -> None:
    """A warning when the MLflow run could not be ended with the run's outcome."""
    linked = record.extra.get("mlflow")
    if isinstance(linked, dict) and linked.get("end_error"):
        output.warn(f"MLflow run {linked.get('run_id')} keeps its RUNNING status: "
                    f"{linked['end_error']}")


def stopped_app(record: RunRecord) -> bool:
    """True for an app (a server) stopped with Ctrl-C or a signal: how apps end, so brain says
    `stopped` rather than the server's own exit code."""
    return record.status == "interrupted" and record.extra.get("port") is not None
