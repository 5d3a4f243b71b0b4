"""`brain run`: run an entry point in the project's environment and record the run."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from brain.cli import output
from brain.envs.select import DEFAULT_BACKEND, backend_names

if TYPE_CHECKING:
    from brain.runs.dry_run import DryRun
    from brain.runs.plan import RunPlan
    from brain.runs.record import RunRecord
    from brain.runs.runner import RunResult


@click.command(context_settings={"show_default": True})
@click.argument("project", required=False, type=click.Path(path_type=Path))
@click.option("-e", "--entry", "entry", metavar="ENTRY",
              help="Entry point to run (`fit models` = `fit-models` = `fit_models`). "
              "Default: the only entry point, or `main`.")
@click.option("-P", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value (repeatable; split on the first `=`).")
@click.option("--backend", type=click.Choice(backend_names()), default=DEFAULT_BACKEND,
              help="Where the entry point runs.")
@click.option("--dry-run", is_flag=True,
              help="Print the exact argv and variables; run and record nothing.")
@click.option("--no-setup", is_flag=True,
              help="Do not build or refresh the environment; fail (exit 3) if it is not ready.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the finished run record (or the dry-run plan) as JSON on stdout; "
              "the entry point's own output then goes to stderr.")
@click.option("--commit", "commit_first", is_flag=True,
              help="Commit the project's code before running, so the run's code state is exact.")
@click.option("--force", is_flag=True,
              help="Run even when the declared outputs are up to date (prerequisites too).")
@click.option("--start-timeout", type=click.FloatRange(min=0.1), default=60.0,
              metavar="SECONDS", help="Apps: how long to wait for the port to answer.")
@click.option("--sweep", "sweeps", multiple=True, metavar="NAME=V1,V2,...",
              help="Run every combination of these values (repeatable), then compare them.")
@click.option("--parallel", type=click.IntRange(min=1), default=None, metavar="N",
              help="Sweeps: points run at once (default 1; every point on ray).")
@click.option("--address", metavar="URL", default=None,
              help="ray: the cluster's dashboard address (default: BRAIN_RAY_ADDRESS, the "
              "ray_address setting, else http://127.0.0.1:8265).")
def run(project: Path | None, entry: str | None, params: tuple[str, ...], backend: str,
        dry_run: bool, no_setup: bool, as_json: bool, commit_first: bool, force: bool,
        start_timeout: float, sweeps: tuple[str, ...] = (), parallel: int | None = None,
        address: str | None = None) -> None:
    """Run an entry point with typed parameters, live output, logs, and a run record.

    The environment is set up first when it is missing or stale (unless --no-setup).
    Output streams live and is saved under .brain/runs/<run id>/. brain exits with the
    entry point's own exit code, or 130 after Ctrl-C (which is forwarded to it first).
    Apps run until Ctrl-C, once brain has seen their port answer. Entry points in
    `depends_on` run first; one with declared `outputs` is skipped while they are up to
    date (same code, parameters, inputs and environment). A notebook entry point leaves its
    executed notebook, an HTML report and provenance under .brain/reports/<run id>/.

    \b
    Examples:
      brain run -e fit-models -P alpha=0.7
      brain run examples/fit-model -e query_historical_data -P ds=2022-01-01
      brain run -e main --dry-run
      brain run --commit -e fit-models     # commit the code first: exact provenance
      brain run -e report -P ds=2024-01-01 --force
      brain run -e fit --sweep alpha=0.1,0.3,0.9 --sweep mode=fast,full --parallel 2
      brain run -e fit -P alpha=0.3 --backend ray --address http://127.0.0.1:8265
    """
    from brain.params import parse_assignments
    from brain.runs.plan import needs_pipeline, plan_pipeline
    from brain.runs.snapshot import load_snapshot

    loaded = load_snapshot(output.project_folder(
        project, hint="pass a project folder: brain run PATH -e ENTRY"))
    if address is not None:
        import os

        # The ray backend reads its address from here (brain.envs.ray_backend); the option
        # only overrides it for this brain process and the runs it starts.
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
        from brain.vcs import commit_before_run

        sha = commit_before_run(loaded.root, f"brain run: {plan.entry_name}")
        output.note(f"code committed at {sha[:12]}")
    if needs_pipeline(plans):
        from brain.cli.run_pipeline import run_steps

        _exit(run_steps(plans, backend=backend, setup=not no_setup, force=force,
                        as_json=as_json, start_timeout=start_timeout))
    result = _execute(plan, backend=backend, setup=not no_setup, as_json=as_json,
                      start_timeout=start_timeout)
    if as_json:
        output.print_json(result.record.as_dict())
    _exit(result.exit_code)


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
    from brain.runs.runner import execute

    def started(record: RunRecord) -> None:
        output.note(f"run {record.id}: {plan.entry_name} ({plan.entry_type}): {plan.command}")

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
    took = f"{(record.duration or 0):.2f}s"
    if result.message:
        output.note(f"run {record.id} {record.status} after {took}: {result.message}")
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


__all__ = ["run"]
