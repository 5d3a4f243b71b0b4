"""Start-up time of the brain CLI: `brain --help` and `brain validate`, against the floor.

Runs each command N times as a real subprocess (as a user types it) and prints the median
wall time, the ratio to `python -c pass` (the cost of starting any Python program), and the
time brain adds on top of that floor. Not a test: run it by hand or in CI to watch the figures.

    python benchmarks/bench_cli.py            # 15 runs each
    python benchmarks/bench_cli.py --runs 30 --example examples/my-cool-api
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGETS_MS = {"brain --help": 100.0}  # DESIGN.md section 6


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU time of `argv` over `runs` runs, after one warm-up run.

    CPU time (user + system) barely moves when the machine is busy; wall time does.
    """
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    walls, cpus = [], []
    for _ in range(runs):
        cpu = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): "
                             f"{done.stderr.decode(errors='replace').strip()}")
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--example", type=Path, default=None,
                        help="project to validate (default: the first one in examples/)")
    options = parser.parse_args()
    example = options.example or next(iter(sorted(REPO_ROOT.glob("examples/*/onebrain.yml"))),
                                      None)
    if example is None:
        raise SystemExit("no example project found; pass --example PATH")
    brain = shutil.which("brain")
    brain_argv = [brain] if brain else [sys.executable, "-m", "brain"]
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "brain --help": [*brain_argv, "--help"],
        "brain validate": [*brain_argv, "validate", str(example)],
        "brain schema": [*brain_argv, "schema"],
    }
    floor = None
    print(f"{'command':<18} {'wall':>9} {'x floor':>8} {'over floor':>11} {'cpu':>9}  target")
    for name, argv in cases.items():
        seconds, cpu = median_seconds(argv, options.runs)
        floor = floor or seconds
        target = TARGETS_MS.get(name)
        verdict = "" if target is None else (
            f"<= {target:.0f} ms {'ok' if seconds * 1000 <= target else 'MISSED'}")
        print(f"{name:<18} {seconds * 1000:7.1f}ms {seconds / floor:7.2f}x "
              f"{(seconds - floor) * 1000:9.1f}ms {cpu * 1000:7.1f}ms  {verdict}")
    print(f"({options.runs} runs each, medians; example: {example}; "
          f"load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
