"""Data check tests share one real project: a git repository whose uv environment (with the
pandera, pandas, pyarrow and pytest brain adds for its checks) is built once per session,
since building it is the slow part; its data files are real CSV and Parquet files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.run.conftest import build_environment, write_files

SPEC = """
name: checked
version: 0.1.0
entry_points:
  clean:
    type: python
    script: make.py
    parameters:
      bad: {type: bool, default: false}
    inputs: [data/good.csv]
    outputs: [out/pred.parquet]
    checks:
      - table: data/good.csv
        columns:
          id: {dtype: int, unique: true}
          price: {dtype: float, min: 0}
          city: {dtype: str, isin: [Paris, Lyon]}
          code: {dtype: str, regex: "^[A-Z]{3}$", nullable: true}
      - table: out/pred.parquet
        columns:
          id: {dtype: int, unique: true}
          score: {dtype: float, min: 0, max: 1}
        strict: true
      - tests: checks/test_outputs.py
  broken:
    type: python
    script: make.py
    inputs: [data/broken.csv]
    checks:
      - table: data/broken.csv
        columns:
          id: {dtype: int, unique: true}
          price: {dtype: float, min: 0}
          city: {dtype: str, isin: [Paris, Lyon]}
          code: {dtype: str, regex: "^[A-Z]{3}$", nullable: true}
  yaml-schema:
    type: python
    script: make.py
    inputs: [data/good.csv]
    checks:
      - {table: data/good.csv, schema: schemas/train.yml}
  py-schema:
    type: python
    script: make.py
    inputs: [data/broken.parquet]
    checks:
      - {table: data/broken.parquet, schema: "schemas/train.py:TrainSchema"}
  big:
    type: python
    script: make.py
    inputs: [data/big.csv]
    checks:
      - table: data/big.csv
        columns:
          id: {dtype: int, unique: true}
          value: {dtype: float, min: 0}
  linked:
    type: python
    script: make.py
    inputs: [data/good.csv]
    checks:
      - {table: data/good.csv, schema: schemas/outside.yml}
  writer:
    type: python
    script: make.py
    checks:
      - {tests: checks/test_writer.py, when: before}
"""

MAKE = """
import argparse, os, sys
import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--bad", default="false")
args = parser.parse_args()
entry = os.environ.get("BRAIN_RUN_ID", "run")
open("ran-" + os.path.basename(sys.argv[0]) + "-" + entry, "w").write("ran")
os.makedirs("out", exist_ok=True)
scores = [0.1, 0.5, 1.5] if args.bad == "true" else [0.1, 0.5, 0.9]
pd.DataFrame({"id": [1, 2, 3], "score": scores}).to_parquet("out/pred.parquet")
"""

TEST_OUTPUTS = """
import pandas as pd

def test_three_predictions():
    assert len(pd.read_parquet("out/pred.parquet")) == 3

def test_scores_are_probabilities():
    scores = pd.read_parquet("out/pred.parquet")["score"]
    assert scores.max() <= 1, f"a score of {scores.max()} is not a probability"
"""

# Writes far more than a launch's file-size limit allows, outside the project.
TEST_WRITER = """
import os

def test_writes_outside():
    target = os.environ["CHECKS_OUTSIDE_TARGET"]
    with open(target, "wb") as handle:
        for _ in range(64):
            handle.write(b"x" * 65536)
            handle.flush()
"""

PY_SCHEMA = """
import pandera.pandas as pa

class TrainSchema(pa.DataFrameModel):
    id: int = pa.Field(unique=True)
    price: float = pa.Field(ge=0)
    city: str = pa.Field(isin=["Paris", "Lyon"])
"""

GOOD_CSV = "id,price,city,code\n1,1.5,Paris,ABC\n2,3.0,Lyon,\n3,4.0,Paris,XYZ\n"
BROKEN_CSV = "id,price,city,code\n1,1.5,Paris,ABC\n2,-3.0,Lyon,abc\n2,4.0,Nice,XYZ\n"
BIG_ROWS = 250_000
BIG_DUPLICATE = (5, 200_000)  # the same id in the first and the second chunk
BIG_NEGATIVE_FROM = 240_000  # every value from this row on fails min: 0


def _big_csv(path: Path) -> None:
    with path.open("w") as handle:
        handle.write("id,value\n")
        for row in range(BIG_ROWS):
            ident = BIG_DUPLICATE[0] if row == BIG_DUPLICATE[1] else row
            value = -1.5 if row >= BIG_NEGATIVE_FROM else row / 10
            handle.write(f"{ident},{value}\n")


@pytest.fixture(scope="session")
def checked_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The shared project, committed to git, its environment built, its data written."""
    base = tmp_path_factory.mktemp("checked")
    outside = base / "outside.yml"
    outside.write_text("schema_type: dataframe\n")
    root = write_files(base / "project", {
        "onebrain.yml": SPEC, "make.py": MAKE, "checks/test_outputs.py": TEST_OUTPUTS,
        "checks/test_writer.py": TEST_WRITER, "schemas/train.py": PY_SCHEMA,
        "data/good.csv": GOOD_CSV, "data/broken.csv": BROKEN_CSV,
        ".gitignore": ".brain/\nout/\nran-*\n"})
    (root / "schemas" / "outside.yml").symlink_to(outside)
    _big_csv(root / "data" / "big.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BRAIN_HOME", str(tmp_path_factory.mktemp("checks-home")))
        patch.setenv("BRAIN_CACHE_DIR", str(Path(os.environ.get(
            "BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache"))))
        build_environment(root)
    python = str(root / ".brain" / "venv" / "bin" / "python")
    # The YAML schema as pandera itself writes it, and a Parquet file written by pyarrow.
    subprocess.run([python, "-c", (
        "import pandas as pd, pandera.pandas as pa\n"
        "schema = pa.DataFrameSchema({'id': pa.Column(int, unique=True),"
        " 'price': pa.Column(float, pa.Check.ge(0)),"
        " 'city': pa.Column(str, pa.Check.isin(['Paris', 'Lyon']))})\n"
        "open('schemas/train.yml', 'w').write(schema.to_yaml())\n"
        "pd.read_csv('data/broken.csv').to_parquet('data/broken.parquet')\n")],
        cwd=root, check=True, capture_output=True)
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                 [*git, "commit", "-q", "-m", "checked project"]):
        subprocess.run(argv, cwd=root, check=True, capture_output=True)
    yield root
