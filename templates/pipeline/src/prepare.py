"""Step 1 (`prepare`): data/raw.csv -> data/clean.csv, dropping empty and out-of-range rows."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def clean(rows: list[dict[str, str]], min_y: float) -> list[dict[str, str]]:
    """The rows whose x and y are numbers and whose y is at least `min_y`."""
    kept = []
    for row in rows:
        try:
            x, y = float(row["x"]), float(row["y"])
        except (KeyError, TypeError, ValueError):
            continue
        if y >= min_y:
            kept.append({"x": str(x), "y": str(y)})
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min_y", type=float, default=0.0)
    parser.add_argument("--source", type=Path, default=Path("data/raw.csv"))
    parser.add_argument("--target", type=Path, default=Path("data/clean.csv"))
    args = parser.parse_args(argv)
    with args.source.open(newline="") as handle:
        rows = clean(list(csv.DictReader(handle)), args.min_y)
    args.target.parent.mkdir(parents=True, exist_ok=True)
    with args.target.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["x", "y"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"kept {len(rows)} rows -> {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
