"""`brain run` of a trivial entry point against the bare command in the same venv.

Usage: python benchmarks/bench_run.py [--runs 15] [--json]

Builds a throwaway project whose entry point is `python -c pass`, sets up its environment
once, then times, interleaved so that machine noise hits every variant alike:
  bare            <project>/.brain/venv/bin/python -c pass
  brain-no-setup  brain run -e main --no-setup
  brain           brain run -e main            (checks the environment is up to date first)
  interpreter     the interpreter brain runs on, `-c pass` (brain's floor: start-up alone)
and prints medians of wall time (with the ratio to bare and brain's overhead in ms) and of
CPU time (user + system of the whole process tree: steadier on a busy machine).
Target (DESIGN.md section 6): brain run <= bare + 100 ms (aim: 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEC = """\
name: bench
version: 0.1.0
entry_points:
  main:
    type: shell
    command: python -c pass
"""


def brain_command() -> list[str]:
    """The installed console script when there is one (what users run), else `-m brain`."""
    script = Path(sys.executable).with_name("brain")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "brain"]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {completed.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="brain-bench-run-") as scratch:
        root = Path(scratch) / "project"
        root.mkdir()
        (root / "onebrain.yml").write_text(SPEC)
        # PYTHONDONTWRITEBYTECODE would make brain recompile its modules on every start,
        # which an installed brain never does (pip writes the .pyc files at install time).
        env = {k: v for k, v in os.environ.items() if k not in (
            "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")}
        env["BRAIN_HOME"] = str(Path(scratch) / "home")
        env.setdefault("BRAIN_CACHE_DIR", str(Path(scratch) / "home" / "cache"))
        brain = brain_command()
        timed([*brain, "run", "-e", "main"], root, env)  # build the env, cache the spec
        variants = {
            "bare": [str(root / ".brain" / "venv" / "bin" / "python"), "-c", "pass"],
            "brain-no-setup": [*brain, "run", "-e", "main", "--no-setup"],
            "brain": [*brain, "run", "-e", "main"],
            "interpreter": [sys.executable, "-c", "pass"],
        }
        walls: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(2):  # warm the page cache (and write brain's .pyc files)
            for argv in variants.values():
                timed(argv, root, env)
        for _ in range(args.runs):
            for name, argv in variants.items():
                wall, cpu = timed(argv, root, env)
                walls[name].append(wall)
                cpus[name].append(cpu)

    bare = statistics.median(walls["bare"])
    bare_cpu = statistics.median(cpus["bare"])
    rows = {}
    for name in variants:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        rows[name] = {"median_s": round(wall, 4), "ratio_to_bare": round(wall / bare, 2),
                      "overhead_ms": round((wall - bare) * 1000, 1),
                      "cpu_ms": round(cpu * 1000, 1),
                      "cpu_overhead_ms": round((cpu - bare_cpu) * 1000, 1)}
    if args.json:
        print(json.dumps({"runs": args.runs, "load": os.getloadavg()[0], "results": rows},
                         indent=2))
        return
    print(f"brain run of a trivial entry point, median of {args.runs} runs each "
          f"(load average {os.getloadavg()[0]:.1f})")
    print(f"{'variant':<16}{'wall':>10}{'x bare':>9}{'over bare':>12}{'cpu':>10}{'over':>10}")
    for name, row in rows.items():
        print(f"{name:<16}{row['median_s'] * 1000:>8.1f}ms{row['ratio_to_bare']:>8.2f}x"
              f"{row['overhead_ms']:>10.1f}ms{row['cpu_ms']:>8.1f}ms"
              f"{row['cpu_overhead_ms']:>8.1f}ms")
    print("target: brain run <= bare + 100 ms (aim 50 ms); `interpreter` is the start-up floor "
          "of the Python brain runs on")


if __name__ == "__main__":
    main()
