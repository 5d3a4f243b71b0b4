"""A run's data check results as rows for pages (a notebook report's header, the hub's
launch page): one row per check, what failed named by column and check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brain.checks.base import CheckResult


def check_rows(raw: Any) -> list[dict[str, str]]:
    """The data checks of a run as table rows (label, when, status, what failed), for the
    report header and the hub's launch page."""
    rows = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping):
            continue
        result = CheckResult.from_dict(item)
        failing = sorted({f"{failure.column}: {failure.check}" if failure.column
                          else failure.check for failure in result.failures})
        detail = result.message or ""
        if result.failure_count:
            detail = (f"{result.failure_count} failing value(s): " + "; ".join(failing[:6])
                      + (" ..." if len(failing) > 6 else ""))
        rows.append({"label": result.label, "when": result.when, "status": result.status,
                     "detail": detail})
    return rows
