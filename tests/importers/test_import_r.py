"""`brain import` of R projects: DESCRIPTION (deb822), install.R (read, never run), renv.lock,
scripts and R notebooks become a spec that validates and runs on the real R; hostile files
(injected names, huge, symlinked out) are dropped or refused in one line; a property test
over the DESCRIPTION and install.R readers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.errors import BrainError
from brain.importers import import_project, spec_text
from brain.importers.base import MAX_SOURCE_BYTES
from tests.conftest import Result

Brain = Callable[..., Result]

DESCRIPTION = """\
Package: air.quality
Title: Air quality
  summaries
Version: 0.2-1
Depends: R (>= 4.1.0), methods
Imports:
    jsonlite (>= 1.0),
    stats
Suggests: testthat
"""
INSTALL_R = """\
# setup for a new machine
install.packages(c("jsonlite", 'testthat'))  # testthat for the tests
install.packages(pkgs = "shiny", repos = "https://cran.example.com")
install.packages(needed)
remotes::install_version("data.table", version = "1.14.8")
file.create("{sentinel}")
"""
MAIN_R = """\
args <- commandArgs(trailingOnly = TRUE)
cat(jsonlite::toJSON(list(city = "Oslo", args = args), auto_unbox = TRUE), "\\n")
"""


def _project(root: Path, **files: str) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _dry(brain: Brain, root: Path) -> tuple[dict[str, object], Result]:
    result = brain("import", str(root), "--dry-run")
    assert result.exit_code == 0, result.output
    return yaml.safe_load(result.stdout), result


def test_description_and_install_r_become_env_r(brain: Brain, tmp_path: Path) -> None:
    sentinel = tmp_path / "install-r-was-run"
    root = _project(tmp_path / "p", DESCRIPTION=DESCRIPTION, **{
        "install.R": INSTALL_R.format(sentinel=sentinel), "main.R": MAIN_R,
        "R/summaries.R": "summarise <- function(x) mean(x)\n",
        "scripts/fit.R": "cat('fit\\n')\n"})
    spec, result = _dry(brain, root)
    assert spec["name"] == "air.quality" and spec["version"] == "0.2.1"
    assert spec["description"] == "Air quality summaries"
    assert spec["env"] == {"r": {
        "packages": {"data.table": "==1.14.8", "jsonlite": ">=1.0", "shiny": "*",
                     "testthat": "*"},
        "repos": ["https://cran.example.com"]}}
    assert spec["entry_points"] == {"main": {"type": "r", "script": "main.R"},
                                    "fit": {"type": "r", "script": "scripts/fit.R"}}
    assert "Depends: R ('>= 4.1.0')" in result.stderr
    assert "install.packages(...) with a computed package list" in result.stderr
    assert "R/ holds the package's functions" in result.stderr
    assert not sentinel.exists()  # install.R is read, never run


def test_renv_lock_pins_versions_r_and_repositories(brain: Brain, tmp_path: Path) -> None:
    lock = {"R": {"Version": "4.2.2", "Repositories": [
        {"Name": "CRAN", "URL": "https://cran.example.com"},
        {"Name": "evil", "URL": "https://x.example.com/'; rm -rf /"}]},
        "Packages": {"jsonlite": {"Package": "jsonlite", "Version": "1.8.4"},
                     "renv": {"Package": "renv", "Version": "1.0.0"},
                     "bad name": {"Version": "1.0"},
                     "odd": {"Version": "1.0.0-beta"}}}
    root = _project(tmp_path / "p", **{"renv.lock": json.dumps(lock),
                                       "analysis.R": "cat(1)\n"})
    spec, result = _dry(brain, root)
    assert spec["env"] == {"r": {"packages": {"jsonlite": "==1.8.4", "odd": "*"},
                                 "version": "4.2", "repos": ["https://cran.example.com"]}}
    assert "'bad name' is not an R package name; dropped" in result.stderr
    assert "contains whitespace, quotes or control characters; dropped" in result.stderr
    assert list(spec["entry_points"]) == ["analysis"]


def test_r_notebooks_and_r_markdown_become_entries(brain: Brain, tmp_path: Path) -> None:
    notebook = {"cells": [], "metadata": {"kernelspec": {"name": "ir", "language": "R",
                                                         "display_name": "R"}},
                "nbformat": 4, "nbformat_minor": 5}
    python = {**notebook, "metadata": {"kernelspec": {"name": "python3"}}}
    root = _project(tmp_path / "p", **{
        "notebooks/eval.ipynb": json.dumps(notebook), "notebooks/py.ipynb": json.dumps(python),
        "report.Rmd": "---\ntitle: x\n---\n", "run.R": "cat(1)\n"})
    spec, _ = _dry(brain, root)
    assert spec["entry_points"] == {
        "run": {"type": "r", "script": "run.R"},
        "eval": {"type": "notebook", "notebook": "notebooks/eval.ipynb", "kernel": "ir"},
        "report": {"type": "shell", "command": "Rscript -e \"rmarkdown::render('report.Rmd')\""}}
    assert spec["env"] == {"r": {"packages": {"rmarkdown": "*"}}}


@pytest.mark.slow
def test_an_imported_r_project_validates_sets_up_and_runs(brain: Brain, tmp_path: Path
                                                          ) -> None:
    if shutil.which("Rscript") is None:
        reason = "R is not installed (scripts/r-setup installs it)"
        if os.environ.get("BRAIN_REQUIRE_R", "") not in ("", "0"):
            pytest.fail(reason + " (BRAIN_REQUIRE_R is set: CI must not skip these)")
        pytest.skip(reason)
    root = _project(tmp_path / "air", DESCRIPTION=DESCRIPTION.replace("Suggests: testthat\n", ""),
                    **{"install.R": 'install.packages("jsonlite")\n', "main.R": MAIN_R})
    result = brain("import", str(root))
    assert result.exit_code == 0, result.output
    assert brain("validate", str(root)).exit_code == 0
    env = {**os.environ}
    setup = subprocess.run([sys.executable, "-m", "brain", "setup-deps"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    run = subprocess.run([sys.executable, "-m", "brain", "run", "-e", "main"], cwd=root,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert '{"city":"Oslo","args":[]}' in run.stdout


@pytest.mark.parametrize("name", [
    "foo'); system('touch /tmp/pwned'); ('", "$(id)", "a\nPackage: evil", "\x1b[31mred",
    "ok`rm -rf /`",
])
def test_injected_package_names_are_dropped_in_one_line(brain: Brain, tmp_path: Path,
                                                        name: str) -> None:
    root = _project(tmp_path / "p", DESCRIPTION=(
        "Package: victim\nVersion: 1.0\nImports: jsonlite, " + name.replace("\n", "\n ")
        + " (>= 1.0)\n"), **{"main.R": "cat(1)\n"})
    spec, result = _dry(brain, root)
    assert spec["env"] == {"r": {"packages": {"jsonlite": "*"}}}
    dropped = [line for line in result.stderr.splitlines() if "is not an R package name" in line]
    assert len(dropped) == 1 and "\x1b" not in result.stderr, result.stderr


def test_a_huge_description_is_refused(brain: Brain, tmp_path: Path) -> None:
    root = _project(tmp_path / "p", DESCRIPTION="Package: big\nDescription: "
                    + "x" * (MAX_SOURCE_BYTES + 10) + "\n")
    result = brain("import", str(root), "--dry-run")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output) < 2000


@pytest.mark.parametrize("linked", ["DESCRIPTION", "install.R", "renv.lock"])
def test_files_symlinked_out_of_the_project_are_not_read(brain: Brain, tmp_path: Path,
                                                         linked: str) -> None:
    secret = tmp_path / "secret"
    secret.write_text('Package: stolen\nImports: stolenpkg\n{"Packages": {"stolenpkg": {}}}\n'
                      'install.packages("stolenpkg")\n')
    root = _project(tmp_path / "p", **{"main.R": "cat(1)\n"})
    (root / linked).symlink_to(secret)
    result = brain("import", str(root), "--dry-run")
    assert result.exit_code == 2, result.output
    assert "stolen" not in result.output.replace(str(secret), "")
    assert "outside" in result.output


def test_scripts_symlinked_out_of_the_project_are_skipped(brain: Brain, tmp_path: Path) -> None:
    outside = tmp_path / "outside.R"
    outside.write_text("cat('secret')\n")
    root = _project(tmp_path / "p", **{"main.R": "cat(1)\n"})
    (root / "steal.R").symlink_to(outside)
    (root / "R").symlink_to(tmp_path)
    spec, _ = _dry(brain, root)
    assert spec["entry_points"] == {"main": {"type": "r", "script": "main.R"}}


_pieces = st.sampled_from([*"abcRj.:,()<>=!-1248 \n\t'\"#\\[]{}$;`", "Package: ", "Imports: ",
                           "Depends: ", "R (>= 4.1)", "install.packages(", "c(",
                           "remotes::install_version(", "version = ", "repos = ", "\n  ",
                           "jsonlite", "\x00", "\x1b", "é", "Version: 0.1-2", "99999999999"])
_text = st.lists(_pieces, max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(description=st.one_of(st.none(), _text), install=st.one_of(st.none(), _text))
def test_any_description_and_install_r_import_to_a_valid_spec(
        description: str | None, install: str | None) -> None:
    from brain.spec.loader import problems_for

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "main.R").write_text("cat(1)\n")
        if description is not None:
            (root / "DESCRIPTION").write_text(description)
        if install is not None:
            (root / "install.R").write_text(install)
        try:
            imported = import_project(root, "r")
        except BrainError:
            return
        (root / "onebrain.yml").write_text(spec_text(imported))
        problems, _ = problems_for(root / "onebrain.yml")
        assert problems == [], (imported.spec, problems)
