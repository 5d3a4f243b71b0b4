"""`brain runs reproduce`: run it (brain.runs.reproduce) and say whether the outputs match."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from brain.cli import output

if TYPE_CHECKING:
    from brain.runs.reproduce import OutputComparison, Reproduction


def reproduce_command(run_id: str, *, keep: bool, as_json: bool) -> int:
    """Reproduce run `run_id`; the exit code (0 identical, 6 differ, the run's own on failure)."""
    from brain.errors import EXIT_DIFFERENT
    from brain.runs.history import find_runs
    from brain.runs.record import RunRecord
    from brain.runs.reproduce import reproduce

    (record,) = find_runs(run_id)

    def started(new: RunRecord) -> None:
        output.note(f"run {new.id}: reproducing run {record.id} ({record.entry_point}) at "
                    f"{(record.git.commit or '')[:12]} in a clean copy")

    result = reproduce(record, keep=keep, progress=lambda p: output.note(f"setup: {p}"),
                       on_started=started, stdout=sys.stderr if as_json else None)
    if as_json:
        output.print_json(result.as_dict())
    else:
        _show(result)
    if result.exit_code != 0:
        return result.exit_code
    return 0 if result.identical else EXIT_DIFFERENT


def _show(result: Reproduction) -> None:
    if result.reproduced.extra.get("checks"):
        from brain.cli.checks_output import show_checks

        show_checks(result.reproduced.extra["checks"], err=False, failed_only=True)
    if result.folder is not None:
        output.echo(f"working copy kept: {result.folder}")
    if result.exit_code != 0:
        output.echo(f"reproduction failed: run {result.reproduced.id} exited "
                    f"{result.exit_code}; `brain runs show {result.reproduced.id}` says why")
    if not result.same_environment:
        was, now = result.original.env_identity[:12], result.reproduced.env_identity[:12]
        output.echo(f"note: the environment differs from the run's ({was} -> {now}); "
                    "`brain lock` pins it")
    if result.identical:
        output.echo(f"reproduced: identical ({len(result.outputs)} output(s) match run "
                    f"{result.original.id}; new run {result.reproduced.id})")
        return
    differing = [o for o in result.outputs if o.status != "identical"]
    if differing:
        output.echo(f"reproduced: {len(differing)} of {len(result.outputs)} output(s) differ "
                    f"from run {result.original.id} (new run {result.reproduced.id})")
    for comparison in result.outputs:
        output.echo(f"  {comparison.name}: {_how(comparison)}")
    for name, (old, new) in result.data.items():
        output.echo(f"  data {name}: recorded {old[:12] if old else '-'}, now "
                    f"{new[:12] if new else 'absent'}")


def _how(comparison: OutputComparison) -> str:
    if comparison.status == "identical":
        return "identical"
    if comparison.status == "missing":
        return "not written by the reproduction"
    parts = []
    if comparison.recorded_size is not None and comparison.new_size is not None:
        parts.append(f"size {comparison.recorded_size} -> {comparison.new_size} bytes")
    parts.append(f"hash {(comparison.recorded_hash or '')[:12]} -> "
                 f"{(comparison.new_hash or '')[:12]}")
    table = comparison.table
    if table:
        rows = table.get("rows") or [0, 0]
        parts.append(f"rows {rows[0]} -> {rows[1]}")
        changed = table.get("columns_changed") or {}
        if changed:
            parts.append("changed columns: " + ", ".join(
                f"{name} ({count} rows)" for name, count in changed.items()))
        for key, label in (("columns_added", "added"), ("columns_removed", "removed")):
            if table.get(key):
                parts.append(f"{label} columns: {', '.join(table[key])}")
    return "different: " + "; ".join(parts)
