"""Imported files are untrusted: bounded reads, brain's safe YAML loader, names checked, no
path leaves the project; and a property test over the MLproject parser."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.errors import BrainError
from brain.importers import import_project
from brain.importers.base import MAX_SOURCE_BYTES
from brain.spec.models import ENTRY_NAME_PATTERN, IDENTIFIER_PATTERN
from tests.conftest import Result

Brain = Callable[..., Result]


def _project(root: Path, mlproject: str, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "MLproject").write_text(mlproject)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_an_environment_file_outside_the_project_is_never_read(brain: Brain,
                                                               tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("dependencies: [stolen-package]\n")
    for reference in ("../secret.yaml", str(secret), "link.yaml"):
        project = _project(tmp_path / f"p{abs(hash(reference))}",
                           "name: t\npython_env: " + reference + "\n"
                           "entry_points:\n  main:\n    command: python x.py\n")
        (project / "link.yaml").symlink_to(secret)
        result = brain("import", str(project), "--dry-run")
        assert "stolen-package" not in result.output, reference
        assert result.exit_code in (0, 2), result.output


def test_an_mlproject_symlinked_out_of_the_project_is_refused(brain: Brain,
                                                              tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("name: t\nentry_points:\n  main:\n    command: cat /etc/passwd\n")
    project = tmp_path / "p"
    project.mkdir()
    (project / "MLproject").symlink_to(outside)
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code == 2 and "cat /etc/passwd" not in result.output


@pytest.mark.parametrize("text", [
    "name: t\nentry_points: !!python/object/apply:os.system [echo pwned]\n",
    "- a list\n- not a mapping\n",
    "name: t\nentry_points:\n  main:\n    command: x\n" + "#" * (MAX_SOURCE_BYTES + 10),
    "name: t\nentry_points: " + "[" * 200 + "]" * 200 + "\n",
    "\x00\x01binary",
    "name: t\nentry_points:\n  \"\\e[31mred\":\n    command: x\n",
])
def test_hostile_mlprojects_are_refused_cleanly(brain: Brain, tmp_path: Path,
                                                text: str) -> None:
    project = _project(tmp_path / "p", "")
    (project / "MLproject").write_bytes(text.encode("utf-8", "surrogateescape"))
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output and "\x1b[31m" not in result.output
    assert not (tmp_path / "p/onebrain.yml").exists()


def test_bad_names_are_reported_not_imported(brain: Brain, tmp_path: Path) -> None:
    project = _project(tmp_path / "p", (
        "name: 'My Project!!'\nentry_points:\n  main:\n    parameters:\n"
        "      ok_name: float\n      'bad-name': {type: float, default: 1}\n"
        "      '__import__(\"os\")': string\n"
        "    command: python x.py {ok_name}\n  '../escape':\n    command: x\n"))
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.stdout)
    assert spec["name"] == "my-project"
    assert list(spec["entry_points"]) == ["main"]
    assert list(spec["entry_points"]["main"]["parameters"]) == ["ok_name"]
    assert "'bad-name' is not a valid parameter name" in result.stderr
    assert "'../escape'" in result.stderr


_names = st.text(alphabet="abcXYZ_-. 0189/{}$\x1b", min_size=0, max_size=8)
_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=8), st.lists(st.integers(), max_size=2),
                    st.sampled_from(["float", "string", "path", "uri", "int"]),
                    st.fixed_dictionaries({"type": st.text(max_size=6),
                                           "default": st.one_of(st.none(), st.text(max_size=5),
                                                                st.floats(allow_nan=False))}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_names, st.one_of(
    st.fixed_dictionaries({"command": st.text(max_size=30),
                           "parameters": st.dictionaries(_names, _values, max_size=4)}),
    _values), max_size=4), st.one_of(st.none(), st.text(max_size=10)))
def test_any_mlproject_imports_cleanly_or_is_refused(entries: dict[str, object],
                                                     name: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        text = yaml.safe_dump({"name": name, "entry_points": entries}, allow_unicode=True)
        (root / "MLproject").write_text(text)
        try:
            imported = import_project(root, "mlproject")
        except BrainError:
            return
        import re

        for entry_name, entry in imported.spec["entry_points"].items():
            assert re.fullmatch(ENTRY_NAME_PATTERN, entry_name)
            for parameter in entry.get("parameters", {}):
                assert re.fullmatch(IDENTIFIER_PATTERN, parameter)
        assert os.listdir(root) == ["MLproject"]  # reading writes nothing


def test_dvc_paths_leaving_the_project_are_skipped(brain: Brain, tmp_path: Path) -> None:
    project = tmp_path / "d"
    project.mkdir()
    (project / "dvc.yaml").write_text(
        "stages:\n  s:\n    cmd: python s.py\n    deps: [../../etc/passwd, /etc/shadow, ok.csv]\n"
        "    outs: [{../out.bin: {cache: false}}, out.csv]\n    wdir: ..\n")
    result = brain("import", str(project), "--dry-run")
    assert result.exit_code == 0, result.output
    stage = yaml.safe_load(result.stdout)["entry_points"]["s"]
    assert stage["inputs"] == ["ok.csv"] and stage["outputs"] == ["out.csv"]
    assert "'../../etc/passwd' is not a path inside the project" in result.stderr
    assert "wdir" in result.stderr
