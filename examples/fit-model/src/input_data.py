"""Fetch one day of historical data (here: synthesised, deterministic for a given day)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ds", required=True, type=dt.date.fromisoformat,
                        help="the day to fetch, e.g. 2022-01-01")
    parser.add_argument("--out", default="data/train.csv", type=Path)
    parser.add_argument("--rows", default=200, type=int)
    args = parser.parse_args()

    # Same day, same rows: re-running never changes a committed data file.
    rng = random.Random(args.ds.toordinal())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "y"])
        for _ in range(args.rows):
            x = rng.uniform(-5, 5)
            writer.writerow([f"{x:.4f}", f"{3.0 * x + 2.0 + rng.gauss(0, 1):.4f}"])
    print(f"wrote {args.rows} rows for {args.ds.isoformat()} to {args.out}")


if __name__ == "__main__":
    main()
