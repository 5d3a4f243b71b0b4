"""`brain store check|migrate`: the run store's health, and copying a SQLite history into a
shared PostgreSQL store."""

from __future__ import annotations

from pathlib import Path

import click

from brain.cli import output


@click.group()
def store() -> None:
    """The run store: check it, or copy it into a shared PostgreSQL store.

    \b
    Examples:
      brain store check
      brain store migrate --to postgresql://jane:PASSWORD@db.example.com/brain
      BRAIN_STORE=postgresql://jane@db.example.com/brain brain store check --json
    """


@store.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(as_json: bool) -> None:
    """Report the store in force: schema version, rows per table, orphan rows, SQLite's
    integrity check, run records waiting in the local spool. Exit 3 when a problem is found."""
    from brain.errors import EnvironmentFailure
    from brain.runs.store import RunStore
    from brain.store.integrity import check_store

    with RunStore() as opened:
        opened.sync_pending()
        report = check_store(opened.database)
    if as_json:
        output.print_json(report.as_dict())
    else:
        rows = [["store", report.store], ["kind", report.kind],
                ["schema version", report.schema_version],
                *([f"{name} rows", str(count)] for name, count in report.counts.items()),
                ["runs waiting in the local spool", str(report.spooled)],
                ["last failed sync", _sync_error(report.last_sync_error)],
                ["problems", "; ".join(report.problems) or "none"]]
        output.table("Run store", ["", ""], rows)
    if not report.ok:
        raise EnvironmentFailure(f"the run store {report.store} has {len(report.problems)} "
                                 f"problem(s): {report.problems[0]}")


def _sync_error(found: dict[str, object] | None) -> str:
    if not found:
        return "none"
    import time

    at = found.get("at")
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) \
        if isinstance(at, int | float) else "?"
    return f"{when}: {found.get('error')}"


@store.command("migrate")
@click.option("--to", "target", required=True, metavar="URL",
              help="The store to copy into: postgresql://USER:PASSWORD@HOST/DB (or a file).")
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="The SQLite store to copy (default: BRAIN_HOME/brain.db "
              "and the hub's launch history).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def migrate(target: str, source: Path | None, as_json: bool) -> None:
    """Copy a SQLite run history (runs and launches) into another store and verify, table by
    table, that every row arrived. Safe to run again: rows already there are not copied twice,
    so an interrupted copy is finished by running it again. Exit 3 on a count mismatch.
    """
    from brain.store.migrate_flow import migrate_history

    results, shown = migrate_history(target, source)
    if as_json:
        output.print_json({"to": shown, "tables": [item.as_dict() for item in results],
                           "ok": all(item.ok for item in results)})
    else:
        output.table(f"Copied into {shown}", ["table", "source rows", "added", "verified"],
                     [[item.table, item.source, item.added, item.verified]
                      for item in results])
    bad = [item for item in results if not item.ok]
    if bad:
        from brain.errors import EnvironmentFailure

        first = bad[0]
        raise EnvironmentFailure(f"{first.table}: {first.source} row(s) in the source but "
                                 f"{first.verified} of them in {shown}",
                                 hint="run `brain store migrate` again; it copies only what "
                                 "is missing")
    if not as_json:
        output.success(f"every row is in {shown}: set BRAIN_STORE or `brain config set store` "
                       "to use it")


__all__ = ["store"]
