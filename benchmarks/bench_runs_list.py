"""`brain runs list` over 100,000 records against the floor: the same query from bare Python.

Fills a store in a temporary BRAIN_HOME, then times, as subprocesses with piped output
(what a script or `| less` sees), the median of N runs of:
  - `brain runs list` (and two filtered variants),
  - `python -c` running the same SELECT with sqlite3 (the floor: interpreter + query),
and prints the medians and ratios. Target (DESIGN.md section 6): <= 300 ms.

    python3 benchmarks/bench_runs_list.py [--records 100000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from brain.runs.provenance import host_name
from brain.runs.record import GitState, RunRecord
from brain.runs.store import RunStore

FLOOR = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT 20").fetchall()
print("\\n".join("\\t".join(map(str, row)) for row in rows))
"""


def fill(store: RunStore, count: int) -> None:
    """`count` plausible records over the last year: 50 projects, 5 entries, mixed ends."""
    rng = random.Random(7)
    start = time.time() - 365 * 86400
    host = host_name()
    statuses = ["succeeded"] * 8 + ["failed", "interrupted"]

    def record(number: int) -> RunRecord:
        begun = start + number * (365 * 86400 / count)
        status = statuses[rng.randrange(len(statuses))]
        return RunRecord(
            id=f"{int(begun * 1000):011x}{number:05x}"[-16:], namespace=f"team{number % 5}",
            project=f"project-{number % 50}", version="0.1.0",
            project_path=f"/work/projects/project-{number % 50}",
            entry_point=["fit models", "main", "report", "query", "train"][number % 5],
            parameters={"alpha": round(rng.random(), 3), "ds": "2024-01-01", "n": number},
            command=f"python src/fit.py --alpha {number}", backend="venv",
            env_identity=f"sha256:{number % 7:064x}", spec_hash=f"sha256:{number % 3:064x}",
            python_version="3.11.7", host=host, user="bench", pid=1, started_at=begun,
            ended_at=begun + rng.random() * 100, status=status,
            exit_code=0 if status == "succeeded" else 1,
            git=GitState(commit=f"{number:040x}", branch="main", remote=None,
                         dirty=number % 4 == 0),
            stdout_log=f"/work/projects/x/.brain/runs/{number}/stdout.log",
            stderr_log=f"/work/projects/x/.brain/runs/{number}/stderr.log",
            extra={"inputs": {"data/train.csv": f"sha256:{number:064x}"}},
        )

    batch = 10_000
    for first in range(0, count, batch):
        store.insert_many(record(n) for n in range(first, min(count, first + batch)))
    # A few live runs, so `list` also pays for its orphan check (pid 1 is always alive).
    for number in range(3):
        store.insert(record(count + number))


def medians(commands: dict[str, list[str]], env: dict[str, str],
            repeat: int) -> dict[str, float]:
    """Median wall time of each command over `repeat` rounds, after one warm-up round.

    Rounds interleave the commands, so a busy neighbour on the machine slows all of them
    alike and the ratios stay fair.
    """
    times: dict[str, list[float]] = {label: [] for label in commands}
    for attempt in range(repeat + 1):
        for label, argv in commands.items():
            began = time.perf_counter()
            completed = subprocess.run(argv, env=env, capture_output=True, check=False)
            elapsed = time.perf_counter() - began
            if completed.returncode != 0:
                raise SystemExit(f"{argv} failed: {completed.stderr.decode()}")
            if attempt:
                times[label].append(elapsed)
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> None:
    """Fill, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    # The console script beside this interpreter: a version-manager shim on PATH (pyenv's
    # costs ~100 ms) would be timed too otherwise.
    script = Path(sys.executable).parent / "brain"
    brain = str(script) if script.is_file() else shutil.which("brain")
    brain_argv = [brain] if brain else [sys.executable, "-m", "brain"]
    with tempfile.TemporaryDirectory(prefix="bench-runs-") as home:
        env = {**os.environ, "BRAIN_HOME": home}
        env.pop("BRAIN_STORE", None)
        db_path = Path(home) / "brain.db"
        began = time.perf_counter()
        with RunStore(db_path) as store:
            fill(store, options.records)
            total = store.count()
        print(f"filled {total:,} records in {time.perf_counter() - began:.1f}s "
              f"({db_path.stat().st_size / 1e6:.0f} MB)")
        python = sys.executable
        commands = {
            "python -c pass (interpreter start)": [python, "-c", "pass"],
            "python -c sqlite3 SELECT ... LIMIT 20 (floor)": [python, "-c", FLOOR, str(db_path)],
            "brain runs list": [],
            "brain runs list --project project-7 --status failed": [
                "--project", "project-7", "--status", "failed"],
            "brain runs list -e train --limit 100": ["-e", "train", "--limit", "100"],
            "brain runs list --json": ["--json"],
        }
        for label, argv in commands.items():
            if label.startswith("brain"):
                commands[label] = [*brain_argv, "runs", "list", *argv]
        results = medians(commands, env, options.repeat)
        floor = results["python -c sqlite3 SELECT ... LIMIT 20 (floor)"]
        with RunStore(db_path) as store:
            store.list()
            began = time.perf_counter()
            for _ in range(100):
                store.reconcile()
                store.list()
            in_process = (time.perf_counter() - began) / 100
        print(f"in-process reconcile + list of 20: {in_process * 1000:.2f} ms")
        print(f"median of {options.repeat} interleaved runs, output piped; "
              f"brain = {brain_argv[0]}")
        for label, seconds in results.items():
            line = f"  {label:<55}{seconds * 1000:7.1f} ms"
            if label.startswith("brain"):
                verdict = "ok" if seconds <= 0.300 else "OVER TARGET"
                line += (f"  {seconds / floor:4.2f}x floor, +{(seconds - floor) * 1000:.0f} ms"
                         f"  ({verdict}: target 300 ms)")
            print(line)


if __name__ == "__main__":
    main()
