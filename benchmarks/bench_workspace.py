"""Benchmark: workspace commands over 1,000 generated projects (DESIGN.md section 6: <= 2 s).

Generates a git repository of 1,000 small projects (10 published libraries, each project
depending on one), then times `brain list`, `brain validate ROOT`, `brain graph` and
`brain affected --since HEAD~1` as real subprocesses and prints the medians against the
target. `brain list` is measured cold (empty index cache) and warm.

    python3 benchmarks/bench_workspace.py [--projects 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 2.0


def spec_text(name: str, namespace: str, *, library: bool, pip: dict[str, str]) -> str:
    lines = [f"name: {name}", "version: 0.1.0", f"namespace: {namespace}"]
    if library:
        lines.append("build_enabled: true")
    lines += ["tags: [bench]", "entry_points:", "  main:", "    type: bash",
              "    command: python run.py --alpha {{ alpha }}", "    parameters:",
              "      alpha: {type: float, default: 0.5, min: 0, max: 1}",
              "env:", "  python:", '    version: "3.11"', "    pip:"]
    lines += [f"      {dep}: '{spec}'" for dep, spec in pip.items()]
    return "\n".join(lines) + "\n"


def generate(root: Path, count: int) -> None:
    """`count` projects: lib-0..lib-9 (a chain of libraries), the rest each using one."""
    for i in range(count):
        namespace = f"team{i % 10}"
        if i < 10:
            folder = root / "libs" / f"lib-{i}"
            text = spec_text(f"lib-{i}", namespace, library=True,
                             pip={f"lib-{i - 1}": ">=0.1"} if i else {"numpy": "==1.26.4"})
        else:
            folder = root / "projects" / namespace / f"p{i}"
            text = spec_text(f"p{i}", namespace, library=False,
                             pip={f"lib-{i % 10}": ">=0.1", "pandas": ">=2"})
        folder.mkdir(parents=True)
        (folder / "onebrain.yml").write_text(text)
        (folder / "run.py").write_text("print('hi')\n")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
                    *args], cwd=root, check=True, capture_output=True)


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children): CPU time is what to
    compare when other work shares the machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    # The brain beside this interpreter (`.venv/bin/python benchmarks/...`), else PATH's.
    beside = Path(sys.executable).parent / "brain"
    brain = (str(beside) if beside.is_file() else shutil.which("brain")) or sys.exit(
        "`brain` is not installed beside this Python nor on PATH (pip install -e .)")
    with tempfile.TemporaryDirectory(prefix="bench-workspace-") as scratch:
        root = Path(scratch) / "mono"
        generate(root, options.projects)
        git(root, "init", "--quiet")
        git(root, "add", "-A")
        git(root, "commit", "--quiet", "-m", "generated")
        (root / "libs/lib-5/util.py").write_text("X = 1\n")
        git(root, "add", "-A")
        git(root, "commit", "--quiet", "-m", "lib-5: util")
        cache = Path(scratch) / "cache"
        env = {**os.environ, "BRAIN_HOME": str(Path(scratch) / "home"),
               "BRAIN_CACHE_DIR": str(cache), "NO_COLOR": "1"}
        cold = []
        for _ in range(options.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed([brain, "list"], root, env))
        commands = {
            "brain list": [brain, "list"],
            "brain validate ROOT": [brain, "validate", str(root)],
            "brain graph": [brain, "graph"],
            "brain affected --since HEAD~1": [brain, "affected", "--since", "HEAD~1"],
        }
        samples = {"brain list (cold index cache)": cold}
        for label, argv in commands.items():
            timed(argv, root, env)  # warm the page cache and the index cache
            samples[label] = [timed(argv, root, env) for _ in range(options.repeat)]
        load = os.getloadavg()[0]
        print(f"{options.projects} projects, median of {options.repeat} runs, target "
              f"{TARGET_SECONDS:.1f} s (DESIGN.md section 6); {os.cpu_count()} CPUs, "
              f"load average {load:.1f}")
        print(f"  {'command':34s} {'wall':>8s} {'cpu':>8s}  vs target")
        for label, runs in samples.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            verdict = "ok" if wall <= TARGET_SECONDS else "OVER TARGET"
            ratio = wall / TARGET_SECONDS
            print(f"  {label:34s} {wall:7.3f}s {cpu:7.3f}s  {ratio:4.2f}x {verdict}")


if __name__ == "__main__":
    main()
