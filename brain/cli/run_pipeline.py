"""`brain run` for what needs more than one plain run: prerequisites (`depends_on`), the run
cache (entry points with declared `outputs`), notebook reports. Prints brain's status lines
and the closing summary table on stderr, so stdout stays the entry points' own (or the JSON
record with --json)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from brain.cli import output
from brain.cli.run_notes import note_mlflow, note_mlflow_end, stopped_app

if TYPE_CHECKING:
    from brain.runs.pipeline import PipelineResult, Step
    from brain.runs.plan import RunPlan
    from brain.runs.record import RunRecord

REUSED_LINES = 10  # lines of an earlier run's output shown on a cache hit


def run_steps(plans: list[RunPlan], *, backend: str, setup: bool, force: bool,
              as_json: bool, start_timeout: float) -> int:
    """Run `plans` (prerequisites first) through the cache; the exit code brain exits with."""
    from brain.runs.pipeline import StepHooks, run_pipeline

    def started(plan: RunPlan, record: RunRecord) -> None:
        output.note(f"run {record.id}: {plan.entry_name} ({plan.entry_type}): {plan.command}")
        note_mlflow(record)

    def cached(plan: RunPlan, earlier: RunRecord) -> None:
        output.note(f"{plan.entry_name} is up to date: its outputs come from run {earlier.id} "
              f"({_when(earlier.started_at)}); --force runs it again")
        _show_reused(plan, earlier)

    def ready(url: str) -> None:
        output.note(f"the app is up at {url} (Ctrl-C to stop)")

    hooks = StepHooks(progress=lambda phrase: output.note(f"setup: {phrase}"), on_started=started,
                      on_cached=cached, on_finished=_report_step, on_ready=ready,
                      start_timeout=start_timeout, stdout=sys.stderr if as_json else None)
    result = run_pipeline(plans, backend=backend, setup=setup, force=force, hooks=hooks)
    if len(result.steps) > 1:
        _summary(result)
    if as_json:
        output.print_json(_json(result))
    return result.exit_code


def _show_reused(plan: RunPlan, earlier: RunRecord) -> None:
    """What a cache hit reused and the end of the earlier run's output, so a repeated command
    still shows its result."""
    from brain.runs.record import tail_lines

    output.note(f"reused: {', '.join(plan.outputs)}")
    shown = tail_lines(earlier.stdout_log, REUSED_LINES)
    if shown:
        output.note(f"output of run {earlier.id} (last {len(shown)} lines; "
                    f"`brain runs show {earlier.id}` has more):")
        for line in shown:
            output.echo(f"  {line}", err=True)


def _report_step(step: Step) -> None:
    record = step.record
    if record is None or step.cached:
        return
    if record.extra.get("checks"):
        from brain.cli.checks_output import show_checks

        show_checks(record.extra["checks"])
    note_mlflow_end(record)
    took = f"{(record.duration or 0):.2f}s"
    if step.message:
        output.note(f"run {record.id} ({step.plan.entry_name}) {record.status} after {took}: "
              f"{step.message}")
    elif stopped_app(record):
        output.note(f"run {record.id} ({step.plan.entry_name}) stopped after {took}")
    else:
        output.note(f"run {record.id} ({step.plan.entry_name}) {record.status} after {took} "
              f"(exit {record.exit_code})")
    if step.report is not None:
        output.note(f"report: {step.report}")


def _summary(result: PipelineResult) -> None:
    rows = [("step", "result", "run", "seconds", "note")]
    for step in result.steps:
        record = step.record
        note = ""
        if step.cached and record is not None:
            note = f"outputs from run {record.id}"
        elif step.outcome == "failed":
            note = step.message or f"exit {step.exit_code}"
        elif step.outcome == "not run":
            note = "an earlier step failed"
        seconds = "" if record is None or step.cached else f"{record.duration or 0:.2f}"
        rows.append((step.plan.entry_name, step.outcome,
                     record.id if record is not None and not step.cached else "",
                     seconds, note))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    output.note("pipeline summary:")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        output.echo(("  " + "  ".join([*cells, row[4]])).rstrip(), err=True)


def _json(result: PipelineResult) -> dict[str, Any]:
    target = result.target
    data: dict[str, Any] = target.record.as_dict() if target.record is not None else {}
    data["cached"] = target.cached
    if target.report is not None:
        data["report"] = str(target.report)
    data["steps"] = [{
        "entry_point": step.plan.entry_name,
        "result": step.outcome,
        "run_id": step.record.id if step.record is not None else None,
        "exit_code": step.exit_code,
        "message": step.message,
    } for step in result.steps]
    return data


def _when(timestamp: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")
