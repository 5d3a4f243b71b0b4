"""Step 2 (`train`): data/clean.csv -> models/model.json, a least-squares line."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path


def fit(points: list[tuple[float, float]], intercept: bool = True) -> dict[str, float]:
    """Slope and intercept minimising the squared error."""
    if not points:
        raise ValueError("no data to fit")
    n = len(points)
    mean_x = sum(x for x, _ in points) / n if intercept else 0.0
    mean_y = sum(y for _, y in points) / n if intercept else 0.0
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx if sxx else 0.0
    return {"slope": slope, "intercept": mean_y - slope * mean_x}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--intercept", choices=["true", "false"], default="true")
    parser.add_argument("--source", type=Path, default=Path("data/clean.csv"))
    parser.add_argument("--target", type=Path, default=Path("models/model.json"))
    args = parser.parse_args(argv)
    with args.source.open(newline="") as handle:
        points = [(float(row["x"]), float(row["y"])) for row in csv.DictReader(handle)]
    model = fit(points, intercept=args.intercept == "true")
    args.target.parent.mkdir(parents=True, exist_ok=True)
    args.target.write_text(json.dumps(model, indent=2) + "\n")
    print(f"slope {model['slope']:.3f}, intercept {model['intercept']:.3f} -> {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
