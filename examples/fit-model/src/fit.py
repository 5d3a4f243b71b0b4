"""Fit y = slope * x + intercept with a ridge penalty; write models/model.json."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import statistics
from pathlib import Path

from tabulate import tabulate


def flag(text: str) -> bool:
    return text.lower() in ("true", "1", "yes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--mode", choices=["fast", "full"], default="fast")
    parser.add_argument("--data", type=Path, default=Path("data/train.csv"))
    parser.add_argument("--normalize", type=flag, default=True)
    parser.add_argument("--out", type=Path, default=Path("models/model.json"))
    args = parser.parse_args()

    with args.data.open(newline="") as handle:
        rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(handle)]
    xs, ys = [x for x, _ in rows], [y for _, y in rows]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    scale = statistics.pstdev(xs) if args.normalize else 1.0
    us = [(x - mean_x) / scale for x in xs]

    if args.mode == "fast":  # closed form ridge on centred data
        covariance = sum(u * (y - mean_y) for u, y in zip(us, ys, strict=True))
        weight = covariance / (sum(u * u for u in us) + args.alpha)
    else:  # plain gradient descent on the same loss
        weight, rate = 0.0, 0.1 / len(us)
        for _ in range(args.epochs):
            gradient = sum((weight * u - (y - mean_y)) * u for u, y in zip(us, ys, strict=True))
            weight -= rate * (gradient + args.alpha * weight)
    slope = weight / scale
    intercept = mean_y - slope * mean_x
    mse = statistics.fmean((slope * x + intercept - y) ** 2 for x, y in rows)

    model = {
        "slope": round(slope, 6), "intercept": round(intercept, 6), "mse": round(mse, 6),
        "alpha": args.alpha, "mode": args.mode, "epochs": args.epochs,
        "normalize": args.normalize, "rows": len(rows),
        "data_sha256": hashlib.sha256(args.data.read_bytes()).hexdigest(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=2) + "\n")
    print(tabulate([[k, v] for k, v in model.items() if k != "data_sha256"],
                   headers=["", "value"]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
