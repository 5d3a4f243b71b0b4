"""`brain validate` reports a `script:` or `notebook:` that is not a file of the project,
located, before any environment is built; a path leaving the project (a symlink) is refused
without reading what it points to."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

SPEC = """
name: files
version: 0.1.0
entry_points:
  fit:
    type: python
    script: src/fit.py
  report:
    type: notebook
    notebook: report.ipynb
"""


def test_a_missing_script_and_notebook_are_located_errors(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": SPEC})
    result = brain("validate", str(project))
    assert result.exit_code == 2, result.output
    assert "onebrain.yml:6:13: entry_points.fit.script: 'src/fit.py' does not exist" \
        in result.stderr
    assert "onebrain.yml:9:15: entry_points.report.notebook: 'report.ipynb' does not exist" \
        in result.stderr


def test_present_files_validate(brain: Callable[..., Result],
                                make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": SPEC, "src/fit.py": "print(1)\n",
                            "report.ipynb": "{}"})
    result = brain("validate", str(project))
    assert result.exit_code == 0, result.output


def test_a_file_removed_after_a_cached_validate_is_still_reported(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": SPEC, "src/fit.py": "print(1)\n",
                            "report.ipynb": "{}"})
    assert brain("validate", str(project)).exit_code == 0
    (project / "src/fit.py").unlink()
    result = brain("validate", str(project))
    assert result.exit_code == 2 and "'src/fit.py' does not exist" in result.stderr


def test_a_symlink_out_of_the_project_and_a_folder_are_refused(
        brain: Callable[..., Result], make_project: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "secret.py"
    outside.write_text("print('secret')\n")
    project = make_project({"onebrain.yml": SPEC})
    (project / "src").symlink_to(tmp_path)  # src/fit.py does not exist there: still refused
    (tmp_path / "fit.py").write_text("x = 1\n")
    (project / "report.ipynb").mkdir()
    result = brain("validate", str(project))
    assert result.exit_code == 2, result.output
    assert "'src/fit.py' leads outside the project" in result.stderr
    assert "'report.ipynb' is not a regular file" in result.stderr
    assert "secret" not in result.output


def test_a_dangling_symlink_is_reported_as_missing(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    project = make_project({"onebrain.yml": SPEC, "report.ipynb": "{}"})
    (project / "src").mkdir()
    os.symlink("nowhere.py", project / "src/fit.py")
    result = brain("validate", str(project))
    assert result.exit_code == 2 and "'src/fit.py' does not exist" in result.stderr
