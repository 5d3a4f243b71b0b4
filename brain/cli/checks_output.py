"""Data check results for people: a line per check and, for a failed one, a table of what
failed (column, check, failing values, row indexes), grouped and truncated so a million
failing rows still fit on a screen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from brain.cli import output

VALUES_SHOWN = 5  # distinct failing values per row of the table
INDEXES_SHOWN = 8  # row indexes per row of the table
GROUPS_SHOWN = 20  # rows of the table


def show_checks(raw: Any, *, err: bool = True, failed_only: bool = False) -> None:
    """Print the record's `checks` (a list of results as stored); nothing when absent."""
    from brain.checks.base import CheckResult

    if not isinstance(raw, list):
        return
    results = [CheckResult.from_dict(item) for item in raw if isinstance(item, Mapping)]
    for result in results:
        if failed_only and result.ok:
            continue
        rows = f", {result.rows} rows" if result.rows is not None else ""
        line = f"check {result.status}: {result.label} ({result.when} the run{rows})"
        if result.failure_count:
            line += f": {result.failure_count} failing value(s)"
        if result.message and not result.ok:
            line += f": {result.message}"
        output.echo(line, err=err)
        if result.failures:
            whole = "(test)" if result.kind == "tests" else "(table)"
            output.table(None, ("column", "check", "failing values", "rows", "count"),
                         failure_rows(result.failures, result.failure_count, whole), err=err)


def failure_rows(failures: Sequence[Any], total: int, whole: str = "(table)"
                 ) -> list[tuple[str, str, str, str, str]]:
    """One row per (column, check): the first failing values and row indexes, how many.
    `whole` names failures of no one column."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for failure in failures:
        groups.setdefault((failure.column or whole, failure.check), []).append(failure)
    rows = []
    for (column, check), found in list(groups.items())[:GROUPS_SHOWN]:
        values = _first(_shown(failure.value) for failure in found)
        indexes = [str(failure.index) for failure in found if failure.index is not None]
        rows.append((column, check, _listed(values, VALUES_SHOWN),
                     _listed(indexes, INDEXES_SHOWN) or "-", str(len(found))))
    kept = len(failures)
    if total > kept or len(groups) > GROUPS_SHOWN:
        rows.append(("...", f"{total - kept} more failing value(s) not kept"
                     if total > kept else f"{len(groups) - GROUPS_SHOWN} more groups",
                     "", "", ""))
    return rows


def _first(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _listed(items: list[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _shown(value: Any) -> str:
    if value is None:
        return "(missing)"
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
