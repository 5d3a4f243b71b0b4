"""`brain run`: run an entry point in the project's environment and record the run."""

from __future__ import annotations

from pathlib import Path

import click

from brain.envs.select import DEFAULT_BACKEND, backend_names


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
    from brain.cli.run_flow import run_entry_point

    run_entry_point(project, entry, params, backend=backend, dry_run=dry_run, no_setup=no_setup,
                    as_json=as_json, commit_first=commit_first, force=force,
                    start_timeout=start_timeout, sweeps=sweeps, parallel=parallel,
                    address=address)


__all__ = ["run"]
