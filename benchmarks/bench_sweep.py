"""Submit-to-first-log-line and six-point sweep wall time, local (venv) vs a Ray cluster.

Each point of the sweep prints a line, works for WORK seconds (sleep) and writes metrics.
Not a test: run by hand against a running cluster (`ray start --head`) to watch the figures.

    python benchmarks/bench_sweep.py --address http://127.0.0.1:8265
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
name: bench-sweep
version: 0.1.0
entry_points:
  fit:
    type: python
    script: fit.py
    metrics: metrics.json
    parameters:
      alpha: {type: float, default: 0.5}
      mode: {type: choice, choices: [fast, full], default: fast}
      work: {type: float, default: 1.0}
"""
FIT = """\
import json, os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
print("started", args["--alpha"], flush=True)
time.sleep(float(args["--work"]))
with open(os.path.join(os.environ["BRAIN_RUN_DIR"], "metrics.json"), "w") as handle:
    json.dump({"loss": float(args["--alpha"]) ** 2}, handle)
"""


def brain(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "brain", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def first_line_seconds(root: Path, *backend: str) -> float:
    """From starting `brain run` to the job's first output line."""
    started = time.perf_counter()
    process = brain("run", str(root), "-e", "fit", "-P", "work=0", *backend, cwd=root)
    assert process.stdout is not None
    process.stdout.readline()
    seconds = time.perf_counter() - started
    process.communicate()
    return seconds


def sweep_seconds(root: Path, *extra: str) -> float:
    started = time.perf_counter()
    process = brain("run", str(root), "-e", "fit", "--sweep", "alpha=0.1,0.3,0.9",
                    "--sweep", "mode=fast,full", *extra, cwd=root)
    process.communicate()
    assert process.returncode == 0, f"sweep failed: {extra}"
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a Ray dashboard address (else local only)")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        root.mkdir()
        (root / "onebrain.yml").write_text(SPEC)
        (root / "fit.py").write_text(FIT)
        os.environ.setdefault("BRAIN_HOME", str(Path(folder) / "home"))
        subprocess.run([sys.executable, "-m", "brain", "setup-deps", str(root)], check=True,
                       capture_output=True)
        ray = ["--backend", "ray", "--address", options.address] if options.address else None
        rows = [("first log line, local", min(first_line_seconds(root)
                                               for _ in range(options.runs)))]
        if ray:
            rows.append(("first log line, ray", min(first_line_seconds(root, *ray)
                                                     for _ in range(options.runs))))
        rows.append(("6-point sweep (1 s each), local --parallel 1", sweep_seconds(root)))
        rows.append(("6-point sweep (1 s each), local --parallel 2",
                     sweep_seconds(root, "--parallel", "2")))
        if ray:
            rows.append(("6-point sweep (1 s each), ray (all at once)", sweep_seconds(root, *ray)))
        for name, seconds in rows:
            print(f"{name:48} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
