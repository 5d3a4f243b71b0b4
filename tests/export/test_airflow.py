"""`brain export airflow`: the DAG file, imported by a real Airflow (installed in a test-only
environment), has one task per entry point on the project image, depends_on as task order and
the parameters as typed params; hostile names and values never become code."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.export.airflow import _literal, python_literal
from tests.conftest import REPO_ROOT, Result

SPEC = """
name: fit-model
version: 1.2.0
hardware: {cpu: 2, memory: 1Gi}
entry_points:
  prepare:
    type: bash
    command: "echo prep {{ ds }}"
    parameters:
      ds: {type: date, default: 2024-01-31}
  fit models:
    type: python
    script: fit.py
    depends_on: [prepare]
    parameters:
      alpha: {type: float, default: 0.5, min: 0, max: 1}
      mode: {type: choice, choices: [fast, full], default: fast}
      rounds: {type: int}
  report:
    type: bash
    command: "echo done"
    depends_on: [fit models, prepare]
  serve:
    type: app
    command: "python -m http.server {{ port }}"
    parameters:
      port: {type: int, default: 8000}
"""
AIRFLOW_PACKAGES = ["apache-airflow", "apache-airflow-providers-cncf-kubernetes",
                    "apache-airflow-providers-docker"]


@pytest.fixture(scope="session")
def airflow_python() -> str:
    """A Python with a real Airflow, in a test-only environment under the test cache (made
    once, with uv; skipped when it cannot be installed here unless BRAIN_REQUIRE_AIRFLOW=1)."""
    cache = Path(os.environ.get("BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache"))
    env = cache / "airflow-env"
    python = env / "bin" / "python"
    if not python.exists():
        from uv import find_uv_bin

        try:
            subprocess.run([find_uv_bin(), "venv", "-q", "-p", sys.executable, str(env)],
                           check=True, capture_output=True, timeout=120)
            subprocess.run([find_uv_bin(), "pip", "install", "-q", "--python", str(python),
                            *AIRFLOW_PACKAGES], check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError) as error:
            shutil.rmtree(env, ignore_errors=True)
            if os.environ.get("BRAIN_REQUIRE_AIRFLOW") == "1":
                pytest.fail(f"Airflow could not be installed for the tests: {error}")
            pytest.skip(f"Airflow could not be installed here: {error}")
    return str(python)


def load_dags(python: str, folder: Path, home: Path,
              conf: dict[str, Any] | None = None) -> dict[str, Any]:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    done = subprocess.run([python, str(Path(__file__).parent / "airflow_load.py"), str(folder),
                           json.dumps(conf or {})],
                          capture_output=True, text=True, env=env, timeout=300, cwd=home)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def export(brain: Callable[..., Result], root: Path, target: Path, *extra: str) -> str:
    result = brain("export", "airflow", str(root), "-o", str(target), *extra)
    assert result.exit_code == 0, result.output
    return target.read_text()


def test_real_airflow_imports_the_dag(brain: Callable[..., Result], airflow_python: str,
                                      make_project: Callable[..., Path], tmp_path: Path) -> None:
    root = make_project({"onebrain.yml": SPEC})
    dags = tmp_path / "dags"
    dags.mkdir()
    export(brain, root, dags / "fit_model.py")
    loaded = load_dags(airflow_python, dags, tmp_path, {"rounds": 3})
    assert loaded["errors"] == {}
    dag = loaded["dags"]["fit-model"]
    tasks = dag["tasks"]
    # One task per entry point (the app is a server, not a task), depends_on as order.
    assert {name: task["upstream"] for name, task in tasks.items()} == {
        "prepare": [], "fit_models": ["prepare"], "report": ["fit_models", "prepare"]}
    assert {task["operator"] for task in tasks.values()} == {"KubernetesPodOperator"}
    assert {task["image"] for task in tasks.values()} == {"default/fit-model:1.2.0"}
    assert tasks["fit_models"]["rendered"] == [
        "fit models", "-P", "alpha=0.5", "-P", "mode=fast", "-P", "rounds=3"]
    assert tasks["prepare"]["rendered"] == ["prepare", "-P", "ds=2024-01-31"]
    assert dag["schemas"]["alpha"] == {"type": "number", "minimum": 0.0, "maximum": 1.0}
    assert dag["schemas"]["mode"] == {"enum": ["fast", "full"]}
    assert dag["schemas"]["ds"] == {"type": "string", "format": "date"}
    assert dag["schemas"]["rounds"] == {"type": "integer"}  # required: no default
    assert "port" not in dag["schemas"]


def test_docker_operator_dag(brain: Callable[..., Result], airflow_python: str,
                             make_project: Callable[..., Path], tmp_path: Path) -> None:
    root = make_project({"onebrain.yml": SPEC})
    dags = tmp_path / "dags"
    dags.mkdir()
    export(brain, root, dags / "fit_model.py", "--operator", "docker", "--image",
           "registry.example.com/fit:7")
    loaded = load_dags(airflow_python, dags, tmp_path, {"rounds": 3})
    assert loaded["errors"] == {}
    tasks = loaded["dags"]["fit-model"]["tasks"]
    assert {task["operator"] for task in tasks.values()} == {"DockerOperator"}
    assert tasks["report"]["image"] == "registry.example.com/fit:7"


HOSTILE_VALUES = [
    "x'); import os; os.system('touch PWNED'); ('",
    'y"""\nimport os\nos.system("touch PWNED")\n"""',
    "{{ ''.__class__.__mro__ }} {% for x in [1] %}loop{% endfor %} {# c #}",
    "back\\slash \\' \\n {{ 'q' }}\r\n",
]
# Entry point names are plain (brain validate checks them); these are the awkward valid ones:
# a template extension Airflow would load as a file, a space, a dot.
TRICKY_NAMES = ["z.json", "fit models", "a.b-c_d", "report.sql"]


def hostile_spec() -> str:
    entries = "".join(
        f"  {name}:\n    type: bash\n    command: \"echo hi\"\n"
        f"    parameters:\n      note{index}: {{type: str, default: {json.dumps(value)}}}\n"
        for index, (name, value) in enumerate(zip(TRICKY_NAMES, HOSTILE_VALUES, strict=True)))
    return f"name: hostile\nversion: 0.1.0\ndescription: {json.dumps(HOSTILE_VALUES[1])}\n" \
           f"entry_points:\n{entries}"


def test_hostile_values_never_become_code(brain: Callable[..., Result], airflow_python: str,
                                          make_project: Callable[..., Path],
                                          tmp_path: Path) -> None:
    root = make_project({"onebrain.yml": hostile_spec()})
    dags = tmp_path / "dags"
    dags.mkdir()
    source = export(brain, root, dags / "hostile.py")
    ast.parse(source)
    loaded = load_dags(airflow_python, dags, tmp_path)
    assert loaded["errors"] == {}
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    dag = loaded["dags"]["hostile"]
    assert dag["defaults"] == {f"note{index}": value
                               for index, value in enumerate(HOSTILE_VALUES)}
    # Airflow renders the arguments with Jinja when the task runs: the names come out as
    # written (none read as a template file), the values are the params' own, unevaluated.
    rendered = sorted(task["rendered"] for task in dag["tasks"].values())
    assert rendered == sorted([name, "-P", f"note{index}={value}"] for index, (name, value)
                              in enumerate(zip(TRICKY_NAMES, HOSTILE_VALUES, strict=True)))


def test_generated_source_structure(brain: Callable[..., Result],
                                    make_project: Callable[..., Path], tmp_path: Path) -> None:
    """Without Airflow: the file parses, and its only statements are the ones brain writes."""
    root = make_project({"onebrain.yml": hostile_spec()})
    tree = ast.parse(export(brain, root, tmp_path / "dag.py"))
    calls = {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
             for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert calls <= {"DAG", "Param", "datetime", "KubernetesPodOperator",
                     "V1ResourceRequirements"}
    top = [type(node).__name__ for node in tree.body]
    assert top == ["Expr", "ImportFrom", "ImportFrom", "Try", "ImportFrom", "ImportFrom",
                   "Assign", "With"]


@given(st.text(max_size=60))
def test_jinja_literal_renders_back(text: str) -> None:
    rendered = jinja2.Environment().from_string(_literal(text)).render()
    assert rendered == text


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8))
def test_python_literal_evaluates_back(value: Any) -> None:
    back = eval(python_literal(value), {"__builtins__": {"float": float}})
    assert repr(back) == repr(value)
