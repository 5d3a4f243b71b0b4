"""brain against the real peers on their own kind of project (not a test; tests never assert
times).

  wine    an MLflow project shaped like MLflow's sklearn_elasticnet_wine (ElasticNet on a
          1,599-row wine-shaped CSV, logging params and metrics with mlflow), imported with
          `brain import`: `mlflow run . --env-manager local` vs `brain run`.
  dvc     a two-stage DVC pipeline (prepare -> train), imported with `brain import`:
          `dvc repro` vs `brain run -e train` (prepare runs first).

Each is timed on a fresh copy (first run) and again on the same copy with nothing changed
(mlflow: the same run again; dvc and brain: a cache hit that reruns nothing). brain's first
run builds the project's environment from uv's cache (MLflow's `local` env-manager uses the
Python it runs in, so it builds nothing: its "first run" has no environment to make); the
row "brain, env ready" is brain's first run with the environment already built, the like
for like. The peers live in test-only venvs (tests/peer_tools.py, cached in .test-cache/).

    python benchmarks/bench_peers.py [--repeat 3]
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

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.peer_tools import cache_dir, peer_bin, peer_version  # noqa: E402 (after the path)

MLPROJECT = """\
name: wine

python_env: python_env.yaml

entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: float, default: 0.1}
    command: "python train.py {alpha} {l1_ratio}"
"""
PYTHON_ENV = """\
dependencies:
  - mlflow=={mlflow}
  - scikit-learn
  - pandas
"""
# MLflow's examples/sklearn_elasticnet_wine/train.py, minus the download and model logging.
WINE_TRAIN = """\
import sys
import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
import mlflow

data = pd.read_csv("wine-quality.csv")
train, test = train_test_split(data, random_state=42)
train_x, test_x = train.drop(["quality"], axis=1), test.drop(["quality"], axis=1)
train_y, test_y = train[["quality"]], test[["quality"]]
alpha, l1_ratio = float(sys.argv[1]), float(sys.argv[2])
with mlflow.start_run():
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
    model.fit(train_x, train_y)
    predicted = model.predict(test_x)
    rmse = float(np.sqrt(mean_squared_error(test_y, predicted)))
    print(f"Elasticnet model (alpha={alpha:f}, l1_ratio={l1_ratio:f}): rmse {rmse:.4f}")
    mlflow.log_param("alpha", alpha)
    mlflow.log_param("l1_ratio", l1_ratio)
    mlflow.log_metric("rmse", rmse)
    mlflow.log_metric("mae", float(mean_absolute_error(test_y, predicted)))
    mlflow.log_metric("r2", float(r2_score(test_y, predicted)))
"""
DVC_YAML = """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data/raw.csv]
    params: [split]
    outs: [data/train.csv]
  train:
    cmd: python train.py data/train.csv
    deps: [train.py, data/train.csv]
    outs: [model.txt]
"""
PREPARE = """\
import yaml
split = yaml.safe_load(open("params.yaml"))["split"]
rows = open("data/raw.csv").read().splitlines()
keep = rows[: 1 + int((len(rows) - 1) * split)]
open("data/train.csv", "w").write("\\n".join(keep) + "\\n")
"""
DVC_TRAIN = """\
import sys
values = [float(line.split(",")[1]) for line in open(sys.argv[1]).read().splitlines()[1:]]
open("model.txt", "w").write(f"{sum(values) / len(values):.6f}\\n")
"""
COLUMNS = ["fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
           "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates",
           "alcohol"]


def wine_csv() -> str:
    """A wine-shaped data set: 1,599 rows, 11 features and a quality, seeded."""
    generator = random.Random(42)
    lines = [",".join([*COLUMNS, "quality"])]
    for _ in range(1599):
        row = [round(generator.uniform(0, 15), 3) for _ in COLUMNS]
        lines.append(",".join(map(str, [*row, generator.randint(3, 8)])))
    return "\n".join(lines) + "\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of one command (which must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return took


def git_init(root: Path, env: dict[str, str]) -> None:
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "project"]):
        subprocess.run(["git", *argv], cwd=root, env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh copies timed per row")
    repeat = parser.parse_args().repeat
    mlflow_bin, dvc_bin = peer_bin("mlflow"), peer_bin("dvc")
    version = peer_version("mlflow", "mlflow")
    brain = [sys.executable, "-m", "brain"]
    work = Path(tempfile.mkdtemp(prefix="brain-peers-"))
    base = {**os.environ, "HOME": str(work / "home"), "LANG": "C.UTF-8",
            "GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@example.com",
            "GIT_COMMITTER_NAME": "B", "GIT_COMMITTER_EMAIL": "b@example.com",
            "BRAIN_HOME": str(work / "brain-home"), "BRAIN_CACHE_DIR": str(cache_dir()),
            "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
    peer_mlflow = {**base, "PATH": f"{mlflow_bin}:{base['PATH']}"}
    peer_dvc = {**base, "PATH": f"{dvc_bin}:{base['PATH']}", "DVC_NO_ANALYTICS": "1"}
    rows: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        rows.setdefault(name, []).append(seconds)

    wine_files = {"MLproject": MLPROJECT, "python_env.yaml": PYTHON_ENV.format(mlflow=version),
                  "train.py": WINE_TRAIN, "wine-quality.csv": wine_csv()}
    dvc_files = {"dvc.yaml": DVC_YAML, "params.yaml": "split: 0.6\n", "prepare.py": PREPARE,
                 "train.py": DVC_TRAIN,
                 "data/raw.csv": "x,y\n" + "".join(f"{i},{i * 1.5}\n" for i in range(5000))}
    for attempt in range(repeat):
        # MLflow project: mlflow run (local env) vs brain run on the imported spec.
        mine = write(work / f"wine-mlflow-{attempt}", wine_files)
        add("wine: mlflow run, first", timed([str(mlflow_bin / "mlflow"), "run", ".",
                                              "--env-manager", "local"], mine, peer_mlflow))
        add("wine: mlflow run, again", timed([str(mlflow_bin / "mlflow"), "run", ".",
                                              "--env-manager", "local"], mine, peer_mlflow))
        ours = write(work / f"wine-brain-{attempt}", wine_files)
        subprocess.run([*brain, "import", str(ours)], env=base, check=True, capture_output=True)
        add("wine: brain run, first (builds env)", timed([*brain, "run", ".", "-e", "main"],
                                                         ours, base))
        add("wine: brain run, env ready", timed([*brain, "run", ".", "-e", "main"], ours, base))

        # DVC pipeline: dvc repro vs brain run (imported; train depends on prepare).
        theirs = write(work / f"dvc-dvc-{attempt}", dvc_files)
        git_init(theirs, peer_dvc)
        subprocess.run([str(dvc_bin / "dvc"), "init", "-q"], cwd=theirs, env=peer_dvc,
                       check=True, capture_output=True)
        add("dvc: dvc repro, first", timed([str(dvc_bin / "dvc"), "repro"], theirs, peer_dvc))
        add("dvc: dvc repro, cache hit", timed([str(dvc_bin / "dvc"), "repro"], theirs,
                                               peer_dvc))
        ours = write(work / f"dvc-brain-{attempt}", dvc_files)
        subprocess.run([*brain, "import", str(ours)], env=base, check=True, capture_output=True)
        spec = (ours / "onebrain.yml").read_text()
        # prepare.py reads params.yaml with PyYAML, which DVC's env has: give brain's the same.
        (ours / "onebrain.yml").write_text(spec + "env:\n  python:\n    pip: [pyyaml]\n"
                                           if "env:" not in spec else spec)
        git_init(ours, base)
        add("dvc: brain run, first (builds env)", timed([*brain, "run", ".", "-e", "train"],
                                                        ours, base))
        add("dvc: brain run, cache hit", timed([*brain, "run", ".", "-e", "train"], ours, base))
        (ours / "data" / "train.csv").unlink()
        (ours / "model.txt").unlink()
        add("dvc: brain run, env ready", timed([*brain, "run", ".", "-e", "train", "--force"],
                                               ours, base))
    shutil.rmtree(work, ignore_errors=True)
    report(rows, repeat)


def report(rows: dict[str, list[float]], repeat: int) -> None:
    median = {name: statistics.median(values) for name, values in rows.items()}
    print(f"\nmedian wall seconds of {repeat} fresh copies each\n")
    for name, seconds in median.items():
        print(f"  {name:<40} {seconds:8.2f}")
    pairs = [("wine, first run", "wine: brain run, first (builds env)", "wine: mlflow run, first"),
             ("wine, env ready / again", "wine: brain run, env ready", "wine: mlflow run, again"),
             ("dvc, first run", "dvc: brain run, first (builds env)", "dvc: dvc repro, first"),
             ("dvc, env ready (both run)", "dvc: brain run, env ready", "dvc: dvc repro, first"),
             ("dvc, cache hit", "dvc: brain run, cache hit", "dvc: dvc repro, cache hit")]
    print(f"\n  {'':<28} {'brain':>8} {'peer':>8} {'brain/peer':>11}")
    for label, ours, theirs in pairs:
        print(f"  {label:<28} {median[ours]:8.2f} {median[theirs]:8.2f} "
              f"{median[ours] / median[theirs]:10.2f}x")


if __name__ == "__main__":
    main()
