"""`brain setup-deps`: the no-op when nothing changed, and a new environment with a warm
package cache, against `uv venv` + `uv pip install` and `virtualenv` + `pip install` of the
same pins (DESIGN.md section 6: no-op <= 150 ms; cold env <= 1.3x uv).

Everything runs as real subprocesses in one temporary folder, with one package cache shared
by brain and the uv baseline (warmed first, so no case pays for downloads) and pip's own
cache warmed the same way. brain's "new env" case rebuilds inputs it has built before (after
`brain clean`, or a fresh clone), so it reuses its cached plan and skips loading the spec; the
"never built before" line pays for loading and validating the spec too. Not a test: run it by
hand or in CI to watch the figures.

    python benchmarks/bench_setup_deps.py             # 15 no-op runs, 7 builds each
    python benchmarks/bench_setup_deps.py --runs 11 --python 3.12
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PINS = ["six==1.16.0", "idna==3.7", "attrs==23.2.0", "packaging==24.0"]
NOOP_TARGET_MS = 150.0
COLD_TARGET_RATIO = 1.3


def _run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace').strip()}")


def median_seconds(step: Callable[[], None], runs: int, *,
                   before: Callable[[], None] | None = None) -> float:
    """Median wall time of `step` over `runs` runs after one warm-up; `before` is untimed."""
    samples = []
    for index in range(runs + 1):
        if before is not None:
            before()
        start = time.perf_counter()
        step()
        if index:  # the first run warms caches
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="builds per cold case")
    parser.add_argument("--noop-runs", type=int, default=15)
    parser.add_argument("--python", default=f"{sys.version_info.major}.{sys.version_info.minor}")
    options = parser.parse_args()

    from uv import find_uv_bin

    from brain.envs.interpreters import find_interpreter

    uv = str(find_uv_bin())
    interpreter = str(find_interpreter(options.python).path)
    # The console script itself (a pyenv shim in front of it would add ~200 ms of bash).
    script = Path(sys.executable).parent / "brain"
    brain = [str(script)] if script.exists() else [sys.executable, "-m", "brain"]
    work = Path(tempfile.mkdtemp(prefix="bench-setup-deps-"))
    try:
        cache = work / "cache"
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env.update(BRAIN_HOME=str(work / "home"), BRAIN_CACHE_DIR=str(cache), NO_COLOR="1",
                   UV_CACHE_DIR=str(cache / "uv"), PIP_CACHE_DIR=str(cache / "pip"),
                   PIP_DISABLE_PIP_VERSION_CHECK="1",
                   VIRTUALENV_OVERRIDE_APP_DATA=str(cache / "virtualenv"))
        project = work / "project"
        project.mkdir()
        pins = ", ".join(f'"{pin}"' for pin in PINS)
        (project / "onebrain.yml").write_text(
            "name: bench-setup-deps\nversion: 0.1.0\nentry_points:\n  main:\n"
            f"    command: python -c pass\nenv:\n  python:\n    version: \"{options.python}\"\n"
            f"    pip: [{pins}]\n")
        requirements = work / "requirements.txt"
        requirements.write_text("\n".join(PINS) + "\n")
        baseline_venv, pip_venv = work / "uv-venv", work / "pip-venv"

        def clean_brain() -> None:
            for path in (project / ".brain" / "venv", project / ".brain" / "envs"):
                if path.is_symlink():
                    path.unlink()
                elif path.exists():
                    shutil.rmtree(path)

        def remove(path: Path) -> Callable[[], None]:
            return lambda: shutil.rmtree(path, ignore_errors=True)

        def brain_setup() -> None:
            _run([*brain, "setup-deps", str(project)], env)

        def uv_baseline() -> None:
            _run([uv, "venv", "--quiet", f"--python={interpreter}", str(baseline_venv)], env)
            _run([uv, "pip", "install", "--quiet", f"--python={baseline_venv}/bin/python",
                  "-r", str(requirements)], env)

        def pip_baseline() -> None:
            _run([sys.executable, "-m", "virtualenv", "--quiet", f"--python={interpreter}",
                  str(pip_venv)], env)
            _run([f"{pip_venv}/bin/python", "-m", "pip", "install", "--quiet", "-r",
                  str(requirements)], env)

        print(f"{len(PINS)} pins ({', '.join(PINS)}), Python {options.python}, "
              f"{options.runs} builds / {options.noop_runs} no-op runs per case (medians)\n")
        def clean_brain_and_plans() -> None:
            clean_brain()
            shutil.rmtree(cache / "plans", ignore_errors=True)

        cold = {
            "brain setup-deps (new env, warm cache)": median_seconds(
                brain_setup, options.runs, before=clean_brain),
            "  same, spec never built before (no plan)": median_seconds(
                brain_setup, options.runs, before=clean_brain_and_plans),
            "uv venv + uv pip install": median_seconds(
                uv_baseline, options.runs, before=remove(baseline_venv)),
            "virtualenv + pip install": median_seconds(
                pip_baseline, options.runs, before=remove(pip_venv)),
        }
        brain_setup()  # the environment is ready: now the no-op
        noop = {
            "brain setup-deps (nothing changed)": median_seconds(brain_setup, options.noop_runs),
            "uv pip install -r (satisfied)": median_seconds(lambda: _run(
                [uv, "pip", "install", "--quiet", f"--python={baseline_venv}/bin/python",
                 "-r", str(requirements)], env), options.noop_runs),
            "pip install -r (satisfied)": median_seconds(lambda: _run(
                [f"{pip_venv}/bin/python", "-m", "pip", "install", "--quiet", "-r",
                 str(requirements)], env), options.noop_runs),
            "python -c pass (floor)": median_seconds(lambda: _run(
                [sys.executable, "-c", "pass"], env), options.noop_runs),
        }
        uv_cold = cold["uv venv + uv pip install"]
        print(f"{'case':<42} {'median':>9} {'vs uv':>7}")
        for name, seconds in cold.items():
            print(f"{name:<42} {seconds * 1000:>7.0f}ms {seconds / uv_cold:>6.2f}x")
        brain_cold = cold["brain setup-deps (new env, warm cache)"]
        verdict = "ok" if brain_cold / uv_cold <= COLD_TARGET_RATIO else "MISSED"
        print(f"  target: <= {COLD_TARGET_RATIO}x uv -> {brain_cold / uv_cold:.2f}x {verdict}\n")
        brain_noop = noop["brain setup-deps (nothing changed)"]
        print(f"{'case':<42} {'median':>9} {'vs brain':>8}")
        for name, seconds in noop.items():
            print(f"{name:<42} {seconds * 1000:>7.0f}ms {seconds / brain_noop:>7.2f}x")
        verdict = "ok" if brain_noop * 1000 <= NOOP_TARGET_MS else "MISSED"
        print(f"  target: <= {NOOP_TARGET_MS:.0f} ms -> {brain_noop * 1000:.0f} ms {verdict}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
