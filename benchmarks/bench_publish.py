"""`brain build --wheel` and `brain publish` against the floor: `uv build` of the same library
with a hand-written pyproject.toml (what brain generates), no build isolation.

Creates a small src-layout library in a temporary folder and BRAIN_HOME, then times, as
subprocesses, the median of N runs of each (publish bumps the version each time, since a
published version is never overwritten). Prints medians and the ratios to the floor.

    python3 benchmarks/bench_publish.py [--repeat 7]
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

from uv import find_uv_bin

SPEC = """name: bench-lib
version: {version}
description: A benchmark library
build_enabled: true
env:
  python:
    version: "3.11"
    pip: {{packaging: ">=20"}}
"""

PYPROJECT = """[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"
[project]
name = "bench-lib"
version = "0.0.1"
requires-python = ">=3.11"
dependencies = ["packaging>=20"]
[tool.hatch.build.targets.wheel]
only-include = ["src/bench_lib"]
sources = ["src"]
[tool.hatch.build.targets.sdist]
only-include = ["src/bench_lib", "pyproject.toml"]
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds one command takes; fails loudly if it fails."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as scratch_name:
        scratch = Path(scratch_name)
        env = {**os.environ, "BRAIN_HOME": str(scratch / "home"), "NO_COLOR": "1"}
        library = scratch / "bench-lib"
        (library / "src" / "bench_lib").mkdir(parents=True)
        (library / "src" / "bench_lib" / "__init__.py").write_text("VALUE = 1\n")
        (library / "onebrain.yml").write_text(SPEC.format(version="0.0.1"))
        floor = scratch / "floor"
        (floor / "src" / "bench_lib").mkdir(parents=True)
        (floor / "src" / "bench_lib" / "__init__.py").write_text("VALUE = 1\n")
        (floor / "pyproject.toml").write_text(PYPROJECT)
        brain = [sys.executable, "-m", "brain"]
        uv_build = [find_uv_bin(), "build", "--no-build-isolation", "--python", sys.executable,
                    "--out-dir", str(floor / "dist"), str(floor)]
        results: dict[str, list[float]] = {"uv build (floor)": [], "brain build --wheel": [],
                                           "brain publish": []}
        for run in range(repeat):
            results["uv build (floor)"].append(timed(uv_build, floor, env))
            results["brain build --wheel"].append(
                timed([*brain, "build", "--wheel"], library, env))
            (library / "onebrain.yml").write_text(SPEC.format(version=f"0.1.{run}"))
            results["brain publish"].append(timed([*brain, "publish"], library, env))
        floor_median = statistics.median(results["uv build (floor)"])
        for name, samples in results.items():
            median = statistics.median(samples)
            print(f"{name:22s} median {median * 1000:7.0f} ms   "
                  f"{median / floor_median:4.2f}x floor")


if __name__ == "__main__":
    main()
