"""Every speed comparison of brain against its peer or the bare command, in one go.

One throwaway project (four small pins; a trivial entry point `python -c pass`) that is both a
brain project (onebrain.yml) and a uv project (pyproject.toml + uv.lock), so that brain and uv
answer the same question about the same folder. Rows (brain vs peer, target):

  brain --help                 vs python -c pass, uv --help, hatch --help    <= 30 ms
  brain validate (one spec)    vs python -c pass                             <= 80 ms
  brain run (env ready)        vs uv run --frozen, hatch run, bare python    <= 1.5x uv run
  brain setup-deps (no-op)     vs uv sync                                    <= 2x uv sync
  brain setup-deps (new env)   vs uv sync, uv sync --compile-bytecode        (bytecode cost)
  docker code-only rebuild     vs hand-written layered Dockerfile, BuildKit  <= 1.2x
                               (benchmarks/bench_docker.py's project, when that file is there)
  wine example (env ready)     vs mlflow run --env-manager local             (bytecode gap)
                               (benchmarks/bench_peers.py's project and tests/peer_tools.py's
                               MLflow venv; the dvc comparison stays in bench_peers.py)

Each row runs its commands interleaved (A B A B ...) so machine noise hits all alike, and
prints medians of wall time and of CPU time (user + system of the process tree: steadier on a
busy machine), once without and once with PYTHONDONTWRITEBYTECODE=1. brain's own modules are
compiled first, as any installed brain's are. Not a test; tests never assert times.

    python benchmarks/compare.py                 # 11 runs a command
    python benchmarks/compare.py --runs 21 --no-docker --no-mlflow
    python benchmarks/compare.py --no-python --no-mlflow --docker-runs 11   # docker alone
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PINS = ["six==1.16.0", "idna==3.7", "attrs==23.2.0", "packaging==24.0"]
SPEC = """\
name: bench-compare
version: 0.1.0
namespace: bench
entry_points:
  main:
    type: shell
    command: python -c pass
env:
  python:
    version: "{python}"
    pip: [{pins}]
"""
PYPROJECT = """\
[project]
name = "bench-compare"
version = "0.1.0"
requires-python = ">={python}"
dependencies = [{pins}]
"""


@dataclass
class Command:
    """One command of a row; `before` runs untimed before each timed run."""

    label: str
    argv: list[str]
    before: Callable[[], None] | None = None
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


@dataclass
class Row:
    """brain's command against its peers; `target` is a ratio to the first peer or ms."""

    name: str
    brain: Command
    peers: list[Command]
    target: str = ""
    limit_ms: float | None = None
    limit_ratio: float | None = None


def _timed(command: Command, cwd: Path, env: dict[str, str]) -> None:
    if command.before is not None:
        command.before()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command.argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command.argv)} failed ({done.returncode}): "
                         f"{done.stderr.decode(errors='replace')[-1500:]}")
    command.walls.append(wall)
    command.cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def measure(row: Row, runs: int, cwd: Path, env: dict[str, str]) -> None:
    """Run every command of `row` once to warm up, then `runs` times interleaved."""
    commands = [row.brain, *row.peers]
    for command in commands:
        _timed(command, cwd, env)
        command.walls.clear()
        command.cpus.clear()
    for _ in range(runs):
        for command in commands:
            _timed(command, cwd, env)


def _ms(values: Sequence[float]) -> float:
    return statistics.median(values) * 1000


def print_row(mode: str, row: Row) -> None:
    """One line for brain and one per peer: medians, and brain's ratio to each peer."""
    brain_wall, brain_cpu = _ms(row.brain.walls), _ms(row.brain.cpus)
    verdict = ""
    if row.limit_ms is not None:
        verdict = "met" if brain_wall <= row.limit_ms else "missed"
    elif row.limit_ratio is not None and row.peers:
        ratio = brain_wall / _ms(row.peers[0].walls)
        verdict = "met" if ratio <= row.limit_ratio else "missed"
    print(f"{mode:<8} {row.name:<28} {row.brain.label:<34} {brain_wall:>8.1f} {brain_cpu:>8.1f}"
          f" {'':>7} {'':>7}  {row.target} {verdict}")
    for peer in row.peers:
        wall, cpu = _ms(peer.walls), _ms(peer.cpus)
        print(f"{'':<8} {'':<28} {peer.label:<34} {wall:>8.1f} {cpu:>8.1f}"
              f" {brain_wall / wall:>6.2f}x {brain_cpu / cpu:>6.2f}x")


def _brain_command() -> list[str]:
    script = Path(sys.executable).with_name("brain")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "brain"]


def _write_project(root: Path, python: str) -> None:
    pins = ", ".join(f'"{pin}"' for pin in PINS)
    root.mkdir(parents=True)
    (root / "onebrain.yml").write_text(SPEC.format(python=python, pins=pins))
    (root / "pyproject.toml").write_text(PYPROJECT.format(python=python, pins=pins))


def _remove(*paths: Path) -> Callable[[], None]:
    def remove() -> None:
        for path in paths:
            if path.is_symlink():
                path.unlink()
            elif path.exists():
                shutil.rmtree(path)
    return remove


def python_rows(project: Path, env: dict[str, str], uv: str) -> list[Row]:
    """The rows that need no daemon: help, validate, run, setup-deps."""
    brain = _brain_command()
    python = [sys.executable, "-c", "pass"]
    help_peers = [Command("python -c pass", python), Command("uv --help", [uv, "--help"])]
    hatch = shutil.which("hatch", path=env.get("PATH"))
    if hatch:
        help_peers.append(Command("hatch --help", [hatch, "--help"]))
    run_peers = [Command("uv run --frozen python -c pass",
                         [uv, "run", "--frozen", "python", "-c", "pass"]),
                 Command("bare venv python -c pass",
                         [str(project / ".brain" / "venv" / "bin" / "python"), "-c", "pass"]),
                 # The least a recorded run costs in Python (benchmarks/floor_run.py): what
                 # brain's start-up is measured against when uv's is out of reach.
                 Command("python floor: record+tee+spawn",
                         [sys.executable, str(Path(__file__).with_name("floor_run.py")),
                          str(project), "python", "-c", "pass"])]
    if hatch:
        run_peers.append(Command("hatch run python -c pass",
                                 [hatch, "run", "python", "-c", "pass"]))
    brain_env = _remove(project / ".brain" / "venv", project / ".brain" / "envs")
    uv_env = _remove(project / ".venv")
    return [
        Row("--help", Command("brain --help", [*brain, "--help"]), help_peers,
            "<= 30 ms", limit_ms=30),
        Row("validate (one spec)", Command("brain validate", [*brain, "validate"]),
            [Command("python -c pass", python)], "<= 80 ms", limit_ms=80),
        Row("run (env ready)", Command("brain run -e main", [*brain, "run", "-e", "main"]),
            run_peers, "<= 1.5x uv run", limit_ratio=1.5),
        Row("setup-deps (no-op)", Command("brain setup-deps", [*brain, "setup-deps"]),
            [Command("uv sync", [uv, "sync", "--quiet"])], "<= 2x uv sync", limit_ratio=2.0),
        Row("setup-deps (new env)",
            Command("brain setup-deps (compiles)", [*brain, "setup-deps"], before=brain_env),
            [Command("uv sync", [uv, "sync", "--quiet"], before=uv_env),
             Command("uv sync --compile-bytecode", [uv, "sync", "--quiet", "--compile-bytecode"],
                     before=uv_env)],
            "bytecode cost: vs uv sync --compile"),
    ]


def docker_row(work: Path, env: dict[str, str]) -> tuple[Row, Path] | str:
    """The code-only rebuild row, or the reason it is skipped."""
    if not (Path(__file__).parent / "bench_docker.py").is_file():
        return "no benchmarks/bench_docker.py"
    docker = shutil.which("docker", path=env.get("PATH"))
    if docker is None:
        return "no docker CLI on PATH"
    if subprocess.run([docker, "info"], capture_output=True, check=False).returncode != 0:
        return "no Docker daemon answers (scripts/docker-setup starts one)"
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_docker

    from brain.envs.buildkit import buildkit_builder

    builder = buildkit_builder()
    if builder is None:
        return "no docker CLI here builds with BuildKit (no buildx, and a client >= 23)"
    base = env.get("BRAIN_DOCKER_BASE_IMAGE") or "brain-base:bookworm"
    root = work / "docker-project"
    bench_docker.write_project(root, base)
    generation = iter(range(1, 1_000_000))

    def change() -> None:
        bench_docker.change_code(root, next(generation))

    hand = [*builder.argv, "--quiet", "--network", "host", "-f", "Dockerfile.hand",
            "-t", "bench/hand-buildkit:latest", "."]
    row = Row("docker code-only rebuild",
              Command("brain build --docker", [*_brain_command(), "build", "--docker"],
                      before=change),
              [Command(f"hand-written, {builder.name}",
                       ["env", *[f"{k}={v}" for k, v in builder.env.items()], *hand],
                       before=change)],
              "<= 1.2x hand-written", limit_ratio=1.2)
    return row, root


def mlflow_row(work: Path, env: dict[str, str]) -> tuple[Row, Path] | str:
    """MLflow's wine example under brain and under `mlflow run`, both environments ready, or
    the reason it is skipped (the MLflow venv cannot be made here)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_peers

    from tests.peer_tools import PeerMissing, peer_bin, peer_version

    try:
        mlflow_bin = peer_bin("mlflow")
        version = peer_version("mlflow", "mlflow")
    except PeerMissing as missing:
        return str(missing)
    files = {"MLproject": bench_peers.MLPROJECT,
             "python_env.yaml": bench_peers.PYTHON_ENV.format(mlflow=version),
             "train.py": bench_peers.WINE_TRAIN, "wine-quality.csv": bench_peers.wine_csv()}
    theirs = bench_peers.write(work / "wine-mlflow", files)
    ours = bench_peers.write(work / "wine-brain", files)
    brain = _brain_command()
    subprocess.run([*brain, "import", str(ours)], env=env, check=True, capture_output=True)
    # brain's first run builds the environment (untimed): the row compares ready ones.
    subprocess.run([*brain, "run", str(ours), "-e", "main"], env=env, check=True,
                   capture_output=True)
    row = Row("wine example (env ready)",
              Command("brain run -e main", [*brain, "run", str(ours), "-e", "main"]),
              # `--env-manager local` runs the `python` on PATH: the MLflow venv's.
              [Command("mlflow run . --env-manager local",
                       ["env", f"PATH={mlflow_bin}{os.pathsep}{env.get('PATH', '')}",
                        str(mlflow_bin / "mlflow"), "run", str(theirs), "--env-manager",
                        "local"])],
              "vs mlflow run (issue 14: bytecode)")
    return row, work


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--docker-runs", type=int, default=5)
    parser.add_argument("--mlflow-runs", type=int, default=3)
    parser.add_argument("--no-docker", action="store_true")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the wine example")
    parser.add_argument("--no-python", action="store_true",
                        help="skip the rows of the trivial Python project")
    parser.add_argument("--python", default=f"{sys.version_info.major}.{sys.version_info.minor}")
    options = parser.parse_args()
    sys.path.insert(0, str(REPO_ROOT))
    from uv import find_uv_bin

    uv = str(find_uv_bin())
    # What an installed brain has: its modules compiled (an editable checkout may lack them).
    compileall.compile_dir(str(REPO_ROOT / "brain"), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="brain-compare-"))
    try:
        project = work / "project"
        _write_project(project, options.python)
        base_env = {k: v for k, v in os.environ.items()
                    if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME",
                                 "PYTHONDONTWRITEBYTECODE")}
        base_env.update(BRAIN_HOME=str(work / "home"), NO_COLOR="1", UV_NO_PROGRESS="1",
                        BRAIN_CACHE_DIR=str(work / "cache"),
                        UV_CACHE_DIR=str(work / "cache" / "uv"))
        # This machine kind has no registry: the local base image (scripts/docker-setup).
        base_env.setdefault("BRAIN_DOCKER_BASE_IMAGE", "brain-base:bookworm")
        subprocess.run([uv, "lock", "--quiet"], cwd=project, env=base_env, check=True)
        subprocess.run([uv, "sync", "--quiet"], cwd=project, env=base_env, check=True)
        subprocess.run([*_brain_command(), "setup-deps"], cwd=project, env=base_env, check=True,
                       stdout=subprocess.DEVNULL)
        skipped = "--no-docker" if options.no_docker else ""
        mlflow_skipped = "--no-mlflow" if options.no_mlflow else ""
        print(f"median of {options.runs} runs ({options.docker_runs} for docker, "
              f"{options.mlflow_runs} for the wine example), load average "
              f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}; "
              "ratio = brain / that peer; times in ms\n")
        print(f"{'mode':<8} {'comparison':<28} {'command':<34} {'wall':>8} {'cpu':>8}"
              f" {'x wall':>7} {'x cpu':>7}  target")
        for mode, extra in (("pyc", {}), ("no-pyc", {"PYTHONDONTWRITEBYTECODE": "1"})):
            env = {**base_env, **extra}
            for row in [] if options.no_python else python_rows(project, env, uv):
                measure(row, options.runs, project, env)
                print_row(mode, row)
            if not skipped:
                found = docker_row(work / mode, env)
                if isinstance(found, str):
                    skipped = found
                else:
                    row, root = found
                    measure(row, options.docker_runs, root, env)
                    print_row(mode, row)
            if not mlflow_skipped:
                # The wine example's packages come from the test cache, where making the
                # MLflow venv (tests/peer_tools.py) put them: a warm cache, like the other rows.
                from tests.peer_tools import cache_dir

                wine_env = {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{work / mode}-mlflow.db",
                            "LANG": "C.UTF-8", "BRAIN_CACHE_DIR": str(cache_dir()),
                            "UV_CACHE_DIR": str(cache_dir() / "uv")}
                found = mlflow_row(work / f"{mode}-wine", wine_env)
                if isinstance(found, str):
                    mlflow_skipped = found
                else:
                    row, root = found
                    measure(row, options.mlflow_runs, root, wine_env)
                    print_row(mode, row)
        if skipped:
            print(f"\ndocker rebuild skipped: {skipped}")
        if mlflow_skipped:
            print(f"\nwine example skipped: {mlflow_skipped}")
        print(f"load average at the end: "
              f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}")
        print("dvc repro: benchmarks/bench_peers.py (installs the real tool in a test-only venv)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
