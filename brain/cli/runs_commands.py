"""`brain runs [list|show|diff]`: the run history.

Kept light on purpose: `brain runs list` over 100,000 records must finish in under 300 ms,
so this module imports only click, sqlite3 and the store (rich only on a terminal); reading
the history (and reconciling dead runs first) is brain.runs.history's business.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click

from brain.cli import output
from brain.runs.history import find_runs, recent_runs
from brain.runs.record import STATUSES, RunRecord, tail_lines

_PARAMETERS_WIDTH = 60


def _list_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--project", "project", metavar="NAME",
                     help="Only runs of this project (NAME or NAMESPACE/NAME)."),
        click.option("--namespace", metavar="NAMESPACE", help="Only runs of this namespace."),
        click.option("-e", "--entry", metavar="ENTRY", help="Only runs of this entry point."),
        click.option("--status", type=click.Choice(STATUSES), help="Only runs that ended so."),
        click.option("--sweep", metavar="ID", help="Only the points of this sweep."),
        click.option("--user", metavar="NAME", help="Only runs this user ran."),
        click.option("--since", metavar="DATE", callback=_since,
                     help="Only runs started at or after DATE (2024-01-31 or an ISO time; "
                     "a date is midnight UTC)."),
        click.option("-n", "--limit", type=click.IntRange(1, 1_000_000_000), default=20,
                     show_default=True, help="How many runs to show, newest first."),
        click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    """--since as unix seconds: an ISO date (midnight UTC) or date-time (UTC unless it says)."""
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value[:40]!r} is not a date: use 2024-01-31 or "
                                 "2024-01-31T12:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@click.group(invoke_without_command=True)
@_list_options
@click.pass_context
def runs(ctx: click.Context, /, **filters: Any) -> None:
    """The run history: which code, parameters and environment made each run.

    `brain runs` alone lists recent runs (same options as `brain runs list`).

    \b
    Examples:
      brain runs
      brain runs list --project fit-model --status failed
      brain runs show 1a2115042633
      brain runs diff 1a2115042633 1a21150424a7
      brain runs reproduce 1a2115042633
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_runs, **filters)
    elif any(ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
             for name in filters):
        raise click.UsageError(f"list options go after the sub-command: "
                               f"brain runs {ctx.invoked_subcommand} ... or brain runs list ...")


@runs.command("list")
@_list_options
def list_runs(project: str | None, namespace: str | None, entry: str | None,
              status: str | None, limit: int, as_json: bool, sweep: str | None = None,
              user: str | None = None, since: float | None = None) -> None:
    """List runs, newest first.

    \b
    Examples:
      brain runs list
      brain runs list --project prototypes/my-cool-api -e main --limit 5
      brain runs list --status failed --json
      brain runs list --sweep 1a2115042633
      brain runs list --user jane --since 2024-01-31
    """
    records = recent_runs(project=project, namespace=namespace, entry=entry, status=status,
                          limit=limit, sweep=sweep, user=user, since=since)
    if as_json:
        output.print_json([record.as_dict() for record in records])
        return
    if not records:
        filtered = any(value is not None
                       for value in (project, namespace, entry, status, sweep, user, since))
        output.echo("No runs match these filters." if filtered else
                    "No runs recorded yet: `brain run -e ENTRY` records one.", err=True)
        return
    short = output.short_run_ids([record.id for record in records])
    if output.is_rich():
        _terminal_table(records, short)
        return
    output.table(None, ("ID", "STARTED", "PROJECT", "ENTRY", "STATUS", "EXIT", "DURATION",
                        "COMMIT", "PARAMETERS"),
                 [(short[r.id], _when(r.started_at), f"{r.namespace}/{r.project}", r.entry_point,
                   r.status, r.exit_code, _duration(r.duration), _commit(r),
                   _shorten(_parameters(r.parameters), _PARAMETERS_WIDTH)) for r in records])


def _terminal_table(records: list[RunRecord], short: dict[str, str]) -> None:
    """The list for humans: every column, shorter cells, and long ones wrapped over several
    lines so the table fits the terminal; ids never wrap (`brain runs show` takes them)."""
    import shutil

    from rich import box
    from rich.markup import escape
    from rich.table import Table

    columns: list[tuple[str, list[str]]] = [
        ("ID", [short[r.id] for r in records]),  # shortest unique prefixes, like git
        ("STARTED", [_when(r.started_at, short=True) for r in records]),
        ("PROJECT", [_project(r) for r in records]),
        ("ENTRY", [r.entry_point for r in records]),
        ("STATUS", [r.status if not r.exit_code else f"{r.status} ({r.exit_code})"
                    for r in records]),
        ("TIME", [_duration(r.duration) for r in records]),
        ("COMMIT", [_commit(r).replace("+", " +") for r in records]),  # wraps before +dirty
        ("PARAMETERS", [_shorten(_parameters(r.parameters), _PARAMETERS_WIDTH)
                        for r in records]),
    ]
    cells = [[output.printable(cell, lines=False) for cell in column] for _, column in columns]
    natural = [max(len(header), *map(len, column))
               for (header, _), column in zip(columns, cells, strict=True)]
    narrowest = [natural[0], *(_NARROWEST.get(header, len(header)) for header, _ in columns[1:])]
    terminal = shutil.get_terminal_size().columns
    gap = 2 if sum(natural) + 2 * (len(columns) - 1) <= terminal else 1  # tighter when narrow
    widths = fit_widths(natural, narrowest, terminal - gap * (len(columns) - 1))
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 padding=(0, gap - 1, 0, 0), header_style="bold")
    for (header, _), width in zip(columns, widths, strict=True):
        grid.add_column(header, width=width, no_wrap=header == "ID", overflow="fold")
    for row in zip(*cells, strict=True):
        grid.add_row(*(escape(cell) for cell in row))
    output.console().print(grid)


# The narrowest each column gets beyond its header's length (an id is never cut).
_NARROWEST = {"STATUS": 9, "COMMIT": 8, "TIME": 5}


def fit_widths(natural: list[int], narrowest: list[int], available: int) -> list[int]:
    """Column widths summing to at most `available` where possible: the widest columns give
    up characters first, none below its narrowest."""
    widths = [max(n, low) for n, low in zip(natural, narrowest, strict=True)]
    while sum(widths) > available:
        shrinkable = [i for i, (w, low) in enumerate(zip(widths, narrowest, strict=True))
                      if w > low]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


@runs.command("show")
@click.argument("run_id", metavar="ID")
@click.option("--tail", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many lines of each log to show (0: none).")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def show(run_id: str, tail: int, as_json: bool) -> None:
    """Show one run: its record and the end of its output logs. ID may be a unique prefix.

    \b
    Examples:
      brain runs show 1a2115042633
      brain runs show 1a2115042633 --tail 100
      brain runs show 1a2115042633 --json
    """
    (record,) = find_runs(run_id)
    logs = {"stdout": tail_lines(record.stdout_log, tail),
            "stderr": tail_lines(record.stderr_log, tail)}
    if as_json:
        output.print_json({**record.as_dict(), "stdout_tail": logs["stdout"],
                           "stderr_tail": logs["stderr"]})
        return
    for label, value in _describe(record):
        output.echo(f"{label + ':':<13}{value}")
    if record.extra.get("checks"):
        from brain.cli.checks_output import show_checks

        show_checks(record.extra["checks"], err=False)
    if tail == 0:
        return
    for name, path in (("stdout", record.stdout_log), ("stderr", record.stderr_log)):
        lines = logs[name]
        if path is None:
            continue
        if lines is None:
            output.echo(f"\n{name}: log {path} is missing")
            continue
        if not lines:
            output.echo(f"\n{name}: empty ({path})")
            continue
        output.echo(f"\n{name} (last {len(lines)} line(s) of {path}):")
        for line in lines:
            output.echo(f"  {line}")


@runs.command("diff")
@click.argument("run_a", metavar="A")
@click.argument("run_b", metavar="B")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(run_a: str, run_b: str, as_json: bool) -> None:
    """Say why two runs differ: code, parameters, environment, command, inputs, outputs, exit.

    \b
    Examples:
      brain runs diff 1a2115042633 1a21150424a7
      brain runs diff 1a2115042633 1a21150424a7 --json
    """
    from brain.runs.diff import ABSENT, diff_runs

    result = diff_runs(*find_runs(run_a, run_b))
    if as_json:
        output.print_json(result.as_dict())
        return
    a, b = result.a.id, result.b.id
    if result.identical:
        output.echo(f"runs {a} and {b} match in every recorded aspect")
        return
    output.echo(f"runs {a} -> {b} differ in: {', '.join(result.differing())}")
    if result.changes.get("data"):
        output.echo(f"data differ: {', '.join(c.name for c in result.changes['data'])}")
    for aspect in result.differing():
        output.echo(f"{aspect}:")
        for change in result.changes[aspect]:
            old, new = (value if value is ABSENT else _json(value)
                        for value in (change.old, change.new))
            output.echo(f"  {change.name}: {old} -> {new}")
    output.echo(f"same: {', '.join(result.same()) or 'nothing'}")


@runs.command("reproduce")
@click.argument("run_id", metavar="ID")
@click.option("--keep", is_flag=True, help="Keep the clean working copy (its path is shown).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def reproduce(run_id: str, keep: bool, as_json: bool) -> None:
    """Re-create a run from its record alone and compare its outputs with the record.

    Checks out the run's commit into a clean temporary copy (your working tree is never
    touched), builds its environment from that commit's spec and lock, runs the entry point
    with the recorded parameters, and compares every declared output's hash. Exit 0 when
    identical, 6 when outputs differ, the run's own code when it fails, 2 when the record
    cannot be reproduced (no commit, uncommitted changes, no recorded outputs).

    \b
    Examples:
      brain runs reproduce 1a2115042633
      brain runs reproduce 1a2115042633 --json
    """
    from brain.cli.reproduce_output import reproduce_command

    raise SystemExit(reproduce_command(run_id, keep=keep, as_json=as_json))


def _describe(record: RunRecord) -> list[tuple[str, str]]:
    git = record.git
    code = "not in a git repository"
    if git.commit is not None or git.dirty is not None:
        code = f"{git.commit or '(no commit yet)'}"
        code += f" on {git.branch}" if git.branch else " (detached HEAD)"
        code += ", with uncommitted changes" if git.dirty else ", clean"
    rows = [
        ("run", f"{record.id} ({_outcome(record)})"),
        ("project", f"{record.namespace}/{record.project} {record.version} "
                    f"({record.project_path})"),
        ("entry point", record.entry_point),
        ("parameters", _parameters(record.parameters) or "(none)"),
        ("command", record.command),
        ("code", code),
    ]
    if git.remote:
        rows.append(("remote", git.remote))
    rows += [
        ("environment", f"{record.backend} {record.env_identity}, Python "
                        f"{record.python_version or 'unknown'}"),
        ("spec hash", record.spec_hash),
        ("started", f"{_when(record.started_at)} by {record.user}@{record.host} "
                    f"(pid {record.pid})"),
        ("ended", f"{_when(record.ended_at)} after {_duration(record.duration)}"
         if record.ended_at is not None else "-"),
    ]
    if record.origin:
        rows.append(("origin", record.origin))
    for key in ("inputs", "outputs"):
        if record.extra.get(key):
            rows.append((key, _value(record.extra[key])))
    if record.metrics:
        rows.append(("metrics", _parameters(record.metrics)))
    for warning in record.extra.get("metrics_warnings") or ():
        rows.append(("metrics warning", str(warning)))
    if record.sweep:
        rows.append(("sweep", record.sweep))
    if record.extra.get("ray"):
        rows.append(("ray", _value(record.extra["ray"])))
    linked = record.extra.get("mlflow")
    if isinstance(linked, dict):
        rows.append(("mlflow", f"run {linked.get('run_id')} {linked.get('url')}"
                     if linked.get("linked") else f"not linked: {linked.get('error')}"))
        if linked.get("end_error"):
            rows.append(("mlflow warning", f"not ended: {linked['end_error']}"))
    return rows


def _outcome(record: RunRecord) -> str:
    return record.status if record.exit_code is None else \
        f"{record.status}, exit {record.exit_code}"


def _when(timestamp: float | None, *, short: bool = False) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M:%S",
                         time.localtime(timestamp))


def _project(record: RunRecord) -> str:
    return record.project if record.namespace == "default" else \
        f"{record.namespace}/{record.project}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _commit(record: RunRecord) -> str:
    commit = record.git.commit
    if commit is None:
        return "-"
    return f"{commit[:8]}+dirty" if record.git.dirty else commit[:8]  # as `brain log` shows it


def _parameters(parameters: dict[str, Any]) -> str:
    return " ".join(f"{name}={_value(value)}" for name, value in parameters.items())


def _value(value: Any) -> str:
    return value if isinstance(value, str) else _json(value)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
