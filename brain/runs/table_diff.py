"""How two versions of a CSV output differ, when that is cheap to say: rows on each side,
columns added or removed, and the columns whose values changed (row by row), read as a
stream by the standard library's csv module, within a size cap."""

from __future__ import annotations

import csv
from itertools import zip_longest
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024  # larger files: size and hash only
CSV_SUFFIXES = (".csv", ".tsv")


def compare_tables(old: Path, new: Path) -> dict[str, Any] | None:
    """{"rows": [old, new], "columns_added", "columns_removed", "columns_changed"} for two
    CSV/TSV files, or None when they are not such files or too large to compare cheaply."""
    if old.suffix.lower() not in CSV_SUFFIXES or new.suffix.lower() not in CSV_SUFFIXES:
        return None
    try:
        if not old.is_file() or not new.is_file() or \
                max(old.stat().st_size, new.stat().st_size) > MAX_BYTES:
            return None
        delimiter = "\t" if old.suffix.lower() == ".tsv" else ","
        with old.open(newline="", encoding="utf-8", errors="replace") as a, \
                new.open(newline="", encoding="utf-8", errors="replace") as b:
            return _compare(csv.reader(a, delimiter=delimiter),
                            csv.reader(b, delimiter=delimiter))
    except (OSError, csv.Error):
        return None


def _compare(old: Any, new: Any) -> dict[str, Any]:
    empty: list[str] = []
    old_header: list[str] = next(old, empty)
    new_header: list[str] = next(new, empty)
    common = [name for name in old_header if name in new_header]
    old_at = {name: old_header.index(name) for name in common}
    new_at = {name: new_header.index(name) for name in common}
    changed: dict[str, int] = {}
    rows = [0, 0]
    for a, b in zip_longest(old, new):
        rows[0] += a is not None
        rows[1] += b is not None
        if a is None or b is None:
            continue
        for name in common:
            i, j = old_at[name], new_at[name]
            if (a[i] if i < len(a) else None) != (b[j] if j < len(b) else None):
                changed[name] = changed.get(name, 0) + 1
    return {"rows": rows,
            "columns_added": [name for name in new_header if name not in old_header],
            "columns_removed": [name for name in old_header if name not in new_header],
            "columns_changed": changed}
