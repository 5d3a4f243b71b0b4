"""`brain import` on projects shaped like MLflow's sklearn_elasticnet_wine and a two-stage DVC
pipeline: the spec validates, and `brain run` makes the same files as the commands run by
hand."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conftest import Result

Brain = Callable[..., Result]

WINE_CSV = "fixed_acidity,alcohol,quality\n7.4,9.4,5\n7.8,9.8,5\n11.2,9.8,6\n7.4,10.0,6\n"
TRAIN = """
import json, sys
alpha, l1_ratio = float(sys.argv[1]), float(sys.argv[2])
rows = [line.split(",") for line in open("wine-quality.csv").read().splitlines()[1:]]
quality = [float(row[-1]) for row in rows]
mean = sum(quality) / len(quality)
json.dump({"alpha": alpha, "l1_ratio": l1_ratio, "prediction": mean * (1 - alpha * l1_ratio)},
          open("model.json", "w"), sort_keys=True)
print(f"Elasticnet model (alpha={alpha:f}, l1_ratio={l1_ratio:f})")
"""
MLPROJECT = """
name: tutorial

python_env: python_env.yaml

entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: float, default: 0.1}
    command: "python train.py {alpha} {l1_ratio}"
"""

DVC_YAML = """
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
PREPARE = """
import json
split = json.load(open("params.yaml"))["split"]
rows = open("data/raw.csv").read().splitlines()
keep = rows[: 1 + int((len(rows) - 1) * split)]
open("data/train.csv", "w").write("\\n".join(keep) + "\\n")
"""
DVC_TRAIN = """
import sys
values = [float(line.split(",")[1]) for line in open(sys.argv[1]).read().splitlines()[1:]]
open("model.txt", "w").write(f"{sum(values) / len(values):.6f}\\n")
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip("\n"))
    return root


def _by_hand(root: Path, commands: list[str]) -> None:
    bin_dir = Path(sys.executable).parent  # `python` as the tool would find it
    for command in commands:
        subprocess.run(["bash", "-c", command], cwd=root, check=True,
                       env={"PATH": f"{bin_dir}:/usr/bin:/bin"})


def test_an_mlflow_project_imports_and_runs_as_mlflow_would(brain: Brain, tmp_path: Path) -> None:
    project = _write(tmp_path / "wine", {
        "MLproject": MLPROJECT, "python_env.yaml": 'python: "3.11"\ndependencies: []\n',
        "train.py": TRAIN, "wine-quality.csv": WINE_CSV})
    by_hand = tmp_path / "by-hand"
    shutil.copytree(project, by_hand)
    result = brain("import", str(project))
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load((project / "onebrain.yml").read_text())
    main = spec["entry_points"]["main"]
    assert main["command"] == "python train.py {{ alpha }} {{ l1_ratio }}"
    assert main["parameters"]["alpha"] == {"type": "float", "default": 0.5}
    assert "ok:" in result.stdout  # validated

    ran = brain("run", str(project), "-e", "main", "-P", "alpha=0.7")
    assert ran.exit_code == 0, ran.output
    assert "Elasticnet model (alpha=0.700000, l1_ratio=0.100000)" in ran.stdout
    _by_hand(by_hand, ["python train.py 0.7 0.1"])  # what `mlflow run . -P alpha=0.7` runs
    assert (project / "model.json").read_bytes() == (by_hand / "model.json").read_bytes()


def test_a_dvc_pipeline_imports_with_its_stage_order(brain: Brain, tmp_path: Path) -> None:
    raw = "x,y\n" + "".join(f"{i},{i * 1.5}\n" for i in range(10))
    project = _write(tmp_path / "pipeline", {
        "dvc.yaml": DVC_YAML, "params.yaml": '{"split": 0.6}\n', "prepare.py": PREPARE,
        "train.py": DVC_TRAIN, "data/raw.csv": raw})
    by_hand = tmp_path / "by-hand"
    shutil.copytree(project, by_hand)
    result = brain("import", str(project))
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load((project / "onebrain.yml").read_text())
    train = spec["entry_points"]["train"]
    assert train["depends_on"] == ["prepare"]
    assert train["inputs"] == ["train.py", "data/train.csv"] and train["outputs"] == ["model.txt"]
    assert "params.yaml" in spec["entry_points"]["prepare"]["inputs"]
    assert "not imported: params.yaml" in result.stderr

    ran = brain("run", str(project), "-e", "train")  # prepare runs first
    assert ran.exit_code == 0, ran.output
    _by_hand(by_hand, ["python prepare.py", "python train.py data/train.csv"])  # `dvc repro`
    for name in ("data/train.csv", "model.txt"):
        assert (project / name).read_bytes() == (by_hand / name).read_bytes()


def test_dry_run_writes_nothing_and_an_existing_spec_is_kept(brain: Brain,
                                                             tmp_path: Path) -> None:
    project = _write(tmp_path / "p", {"MLproject": MLPROJECT, "train.py": TRAIN})
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code == 0 and "{{ alpha }}" in result.stdout
    assert not (project / "onebrain.yml").exists()
    assert "python_env.yaml does not exist" in result.stderr
    (project / "onebrain.yml").write_text("name: mine\nversion: 1.0.0\n")
    result = brain("import", str(project))
    assert result.exit_code == 2 and "exists already" in result.stderr
    assert (project / "onebrain.yml").read_text() == "name: mine\nversion: 1.0.0\n"


def test_a_folder_of_notebooks(brain: Brain, tmp_path: Path) -> None:
    project = _write(tmp_path / "nb", {"explore.ipynb": "{}", "notebooks/report v2.ipynb": "{}"})
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.stdout)
    assert spec["entry_points"] == {
        "explore": {"type": "notebook", "notebook": "explore.ipynb"},
        "report v2": {"type": "notebook", "notebook": "notebooks/report v2.ipynb"}}


PYPROJECT = """
[project]
name = "Churn_Tools"
dependencies = ["numpy>=1.26"]

[project.scripts]
churn-fit = "churn_tools.cli:main"
"bad" = "os; rm -rf /:x"

[tool.hatch.envs.default.scripts]
test = "pytest -q"
lint = ["ruff check .", "mypy"]

[tool.pixi.tasks]
prepare = "python prepare.py"
train = { cmd = "python train.py", depends-on = ["prepare"] }
"""


def test_pyproject_scripts_and_tasks(brain: Brain, tmp_path: Path) -> None:
    project = _write(tmp_path / "py", {"pyproject.toml": PYPROJECT})
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.stdout)
    assert spec["name"] == "churn_tools"
    assert spec["env"]["python"]["pip"] == ["numpy>=1.26"]
    entries = spec["entry_points"]
    assert entries["churn-fit"]["command"] == (
        'python -c "import sys; from churn_tools.cli import main; sys.exit(main())"')
    assert entries["lint"]["command"] == "ruff check . && mypy"
    assert entries["train"] == {"type": "bash", "command": "python train.py",
                                "depends_on": ["prepare"]}
    assert "bad" not in entries and "is not module:function" in result.stderr
