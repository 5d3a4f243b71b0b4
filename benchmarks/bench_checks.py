"""Data check overhead: `brain check` on a 1M-row CSV against pandera run directly.

Builds a project whose entry point declares an inline pandera schema on a 1,000,000-row CSV
(its environment made by `brain setup-deps`), then times, side by side and as real
processes, (a) a plain script in that environment that reads the CSV with pandas and
validates it with the same pandera schema (`lazy=True`), and (b) `brain check --when before`.
Prints median wall time, the ratio, and the peak memory of each (brain reads the table in
100,000-row chunks; the script reads it whole). Not a test: run it by hand.

    python benchmarks/bench_checks.py              # 3 runs each
    python benchmarks/bench_checks.py --rows 200000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
name: bench-checks
version: 0.1.0
entry_points:
  main:
    type: python
    script: run.py
    inputs: [data/big.csv]
    checks:
      - table: data/big.csv
        columns:
          id: {dtype: int, unique: true}
          price: {dtype: float, min: 0}
          city: {dtype: str, isin: [Paris, Lyon, Nice]}
"""

DIRECT = """\
import pandas as pd, pandera.pandas as pa
schema = pa.DataFrameSchema({
    "id": pa.Column(int, unique=True),
    "price": pa.Column(float, pa.Check.ge(0)),
    "city": pa.Column(str, pa.Check.isin(["Paris", "Lyon", "Nice"]))})
schema.validate(pd.read_csv("data/big.csv"), lazy=True)
"""

# Reports the peak resident memory of the command it runs (kB on Linux).
PEAK = ("import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(code)\n")


def _write_csv(path: Path, rows: int) -> None:
    cities = ("Paris", "Lyon", "Nice")
    with path.open("w") as handle:
        handle.write("id,price,city\n")
        for row in range(rows):
            handle.write(f"{row},{row % 1000 / 10},{cities[row % 3]}\n")


def _measure(argv: list[str], cwd: Path, runs: int) -> tuple[float, int]:
    """Median wall seconds and the largest peak memory (kB) of `argv` over `runs` runs."""
    walls, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PEAK, *argv], cwd=cwd,
                              capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-2000:]}")
        peaks.append(int(done.stdout.split()[-1]))
    return statistics.median(walls), max(peaks)


def main() -> None:
    """Build the project, measure both ways, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    brain = [sys.executable, "-m", "brain"]
    with tempfile.TemporaryDirectory(prefix="bench-checks-") as folder:
        root = Path(folder)
        (root / "data").mkdir()
        (root / "onebrain.yml").write_text(SPEC)
        (root / "run.py").write_text("print('ran')\n")
        (root / "direct.py").write_text(DIRECT)
        _write_csv(root / "data" / "big.csv", options.rows)
        env = {**os.environ, "NO_COLOR": "1"}
        subprocess.run([*brain, "setup-deps", str(root)], check=True, env=env,
                       capture_output=True)
        python = str(root / ".brain" / "venv" / "bin" / "python")
        subprocess.run([python, "direct.py"], cwd=root, check=True)  # warm the file cache
        direct, direct_peak = _measure([python, "direct.py"], root, options.runs)
        checked, checked_peak = _measure([*brain, "check", str(root), "--when", "before"],
                                         root, options.runs)
        size = (root / "data" / "big.csv").stat().st_size / 1e6
    print(f"{options.rows:,} rows ({size:.0f} MB CSV), median of {options.runs}")
    print(f"{'':28}{'seconds':>9}{'peak MB':>10}")
    print(f"{'pandera directly (whole)':28}{direct:9.2f}{direct_peak / 1024:10.0f}")
    print(f"{'brain check (chunked)':28}{checked:9.2f}{checked_peak / 1024:10.0f}")
    print(f"ratio brain / direct: {checked / direct:.2f}x time, "
          f"{checked_peak / direct_peak:.2f}x peak memory")


if __name__ == "__main__":
    main()
