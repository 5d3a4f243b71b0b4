"""What `brain run` does once its options are typed: plan, run, record, exit.

Click-free, so that `brain.cli.quick` can run the common forms of `brain run` without loading
click; `brain.cli.run_commands` is the click command in front of the same function.
"""

from __future__ import annotations

import shlex
import sys
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from brain.cli import output
from brain.envs.select import DEFAULT_BACKEND

if TYPE_CHECKING:
    from brain.runs.dry_run import DryRun
    from brain.runs.plan import RunPlan
    from brain.runs.record import RunRecord
    from brain.runs.runner import RunResult

DEFAULT_START_TIMEOUT = 60.0


def run_entry_point(project: Path | None, entry: str | None, params: tuple[str, ...], *,
                    backend: str = DEFAULT_BACKEND, dry_run: bool = False, no_setup: bool = False,
                    as_json: bool = False, commit_first: bool = False, force: bool = False,
                    start_timeout: float = DEFAULT_START_TIMEOUT, sweeps: tuple[str, ...] = (),
                    parallel: int | None = None, address: str | None = None) -> None:
    """Run `entry` of `project` (prerequisites first) and leave with its exit code."""
    import time

    planned_at = time.time_ns()  # what the spec and environment said from here on
    from brain.params import parse_assignments
    from brain.runs.plan import needs_pipeline, plan_pipeline
    from brain.runs.snapshot import load_snapshot

    loaded = load_snapshot(output.project_folder(
        project, hint="pass a project folder: brain run PATH -e ENTRY"))
    if address is not None:
        import os

        # The ray backend reads its address from here (brain.envs.ray_backend); the option
        # overrides it for this brain process and the runs it starts.
        os.environ["BRAIN_RAY_ADDRESS"] = address
    if sweeps:
        from brain.cli.run_sweep import run_sweep_command

        _exit(run_sweep_command(loaded, entry, parse_assignments(params), sweeps,
                                backend=backend, parallel=parallel, setup=not no_setup,
                                as_json=as_json))
    plans = plan_pipeline(loaded, entry, parse_assignments(params))  # prerequisites first
    plan = plans[-1]
    if dry_run:
        from brain.runs.dry_run import dry_run as describe

        _print_dry_run(plan, describe(plan, backend), as_json)
        return
    if commit_first:
        from brain.vcs.sync import commit_before_run

        sha = commit_before_run(loaded.root, f"brain run: {plan.entry_name}")
        output.note(f"code committed at {sha[:12]}")
    if needs_pipeline(plans):
        from brain.cli.run_pipeline import run_steps

        _exit(run_steps(plans, backend=backend, setup=not no_setup, force=force,
                        as_json=as_json, start_timeout=start_timeout))
    result = _execute(plan, backend=backend, setup=not no_setup, as_json=as_json,
                      start_timeout=start_timeout)
    if (backend, no_setup, as_json, commit_first, force, address) == (
            DEFAULT_BACKEND, False, False, False, False, None):
        _keep_express(plan, result.record, project, entry, params, planned_at)
    if as_json:
        # A reader that went away (`| head`) cannot change what the run itself exited with.
        with suppress(BrokenPipeError):
            output.print_json(result.record.as_dict())
    _exit(result.exit_code)


def _keep_express(plan: RunPlan, record: RunRecord, project: Path | None, entry: str | None,
                  params: tuple[str, ...], planned_at: int) -> None:
    """Keep the card the next run with these arguments is expressed from, where it can be
    (brain.runs.express); a cache, so a failure to keep one is no failure of the run."""
    from brain.errors import BrainError
    from brain.runs.express_card import keep_card

    started = output.printable(f"{plan.entry_name} ({plan.entry_type}): {plan.command}")
    with suppress(BrainError, OSError, ValueError):
        keep_card(plan, record, project=project, entry=entry, params=params, started=started,
                  planned_at=planned_at)


def _exit(code: int) -> NoReturn:
    """Leave brain with `code` (the entry point's own, or 130 after Ctrl-C)."""
    import gc

    # What is alive now stays alive until the process ends. Frozen, it is skipped by the
    # garbage collections the interpreter runs while it shuts down, which would otherwise walk
    # every object of every loaded module: about 10 ms of a trivial `brain run`.
    gc.freeze()
    raise SystemExit(code)


def _execute(plan: RunPlan, *, backend: str, setup: bool, as_json: bool,
             start_timeout: float) -> RunResult:
    from brain.cli.run_notes import note_mlflow, note_mlflow_end, stopped_app
    from brain.runs.runner import execute

    def started(record: RunRecord) -> None:
        output.note(f"run {record.id}: {plan.entry_name} ({plan.entry_type}): {plan.command}")
        note_mlflow(record)

    def ready(url: str) -> None:
        output.note(f"{plan.entry_name} is up at {url} (Ctrl-C to stop)")

    result = execute(
        plan, backend=backend, setup=setup, progress=lambda phrase: output.note(f"setup: {phrase}"),
        on_started=started, on_ready=ready, start_timeout=start_timeout,
        stdout=sys.stderr if as_json else None,
    )
    record = result.record
    for warning in record.extra.get("metrics_warnings") or ():
        output.warn(str(warning))
    if record.extra.get("checks"):
        from brain.cli.checks_output import show_checks

        show_checks(record.extra["checks"])
    note_mlflow_end(record)
    took = f"{(record.duration or 0):.2f}s"
    if result.message:
        output.note(f"run {record.id} {record.status} after {took}: {result.message}")
    elif stopped_app(record):
        output.note(f"run {record.id} stopped after {took}")
    else:
        output.note(f"run {record.id} {record.status} after {took} (exit {record.exit_code})")
    return result


def _print_dry_run(plan: RunPlan, described: DryRun, as_json: bool) -> None:
    if as_json:
        output.print_json({
            "entry_point": plan.entry_name,
            "type": plan.entry_type,
            "parameters": plan.parameters_json(),
            "command": plan.command,
            "argv": described.argv,
            "cwd": str(described.cwd),
            "variables": described.variables,
            "port": plan.port,
        })
        return
    lines = [f"entry point: {plan.entry_name} ({plan.entry_type})",
             f"cwd: {described.cwd}",
             "argv:"]
    # One argument per line, quoted only when needed, so every line reads back exactly.
    lines += [f"  {shlex.quote(arg)}" for arg in described.argv]
    lines.append("variables:")
    lines += [f"  {name}={shlex.quote(value)}" for name, value in described.variables.items()]
    if plan.port is not None:
        lines.append(f"port: {plan.port}")
    for line in lines:
        output.echo(line)
