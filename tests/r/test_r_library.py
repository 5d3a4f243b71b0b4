"""`brain setup-deps` for env.r: the project library under .brain/, from the listed
repositories, system packages counted, atomic, and a no-op without starting R."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brain.rlang.library import STAMP_NAME
from brain.statefs import MARKER

from .conftest import brain_process, ok, rscript

pytestmark = pytest.mark.slow


def _spec(packages: str, *, repos: str = "[local]", version: str = "null") -> str:
    return f"""
        name: consumer
        version: 0.1.0
        entry_points:
          main: {{type: r, script: main.R}}
        env:
          r:
            packages: {packages}
            repos: {repos}
            version: {version}
        """


def _stamp(root: Path) -> dict[str, object]:
    return json.loads((root / ".brain" / "r-library" / STAMP_NAME).read_text())


def _builds(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name != MARKER]


def _publish(brain, folder: Path) -> None:  # type: ignore[no-untyped-def]
    result = brain("publish", str(folder))
    assert result.exit_code == 0, result.output


def test_system_packages_satisfy_requirements_that_fit(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": _spec('{jsonlite: ">=1.0", shiny: "*"}', repos="[]"),
                         "main.R": "cat(as.character(packageVersion('jsonlite')))\n"})
    result = brain("setup-deps", str(root))
    assert result.exit_code == 0, result.output
    stamp = _stamp(root)
    assert stamp["installed"] == {} and set(stamp["system"]) == {"jsonlite", "shiny"}  # type: ignore[arg-type]
    assert (root / ".brain" / "r-library").is_symlink()


def test_a_requirement_nothing_satisfies_fails_cleanly(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": _spec('{jsonlite: ">=99.0"}', repos="[]"),
                         "main.R": "\n"})
    result = brain("setup-deps", str(root))
    assert result.exit_code == 3
    assert "no repository" in result.output
    assert not (root / ".brain" / "r-library").exists()


def test_the_r_version_is_checked(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": _spec("{}", version="'3.6'"), "main.R": "\n"})
    result = brain("setup-deps", str(root))
    assert result.exit_code == 3
    assert "env.r.version asks for R 3.6" in result.output


def test_published_packages_go_to_the_project_library_only(brain, make_project,  # type: ignore[no-untyped-def]
                                                           r_package, tmp_path: Path) -> None:
    _publish(brain, r_package("airforecaster", "0.1.0"))
    root = make_project({
        "onebrain.yml": _spec('{airforecaster: "==0.1.0", jsonlite: "*"}'),
        "main.R": "library(airforecaster); cat(forecast(3), '\\n'); "
                  "cat(find.package('airforecaster'), '\\n'); cat(.libPaths()[1], '\\n')\n"})
    result = brain("setup-deps", str(root))
    assert result.exit_code == 0, result.output
    stamp = _stamp(root)
    assert stamp["installed"] == {"airforecaster": "0.1.0"}
    assert stamp["system"] == {"jsonlite": rscript(
        "cat(as.character(packageVersion('jsonlite')))").stdout}
    library = os.path.realpath(root / ".brain" / "r-library")
    assert (Path(library) / "airforecaster" / "DESCRIPTION").is_file()
    # Never the site or the user library: plain R does not see it.
    assert rscript("cat(requireNamespace('airforecaster', quietly = TRUE))").stdout == "FALSE"

    run = ok(brain_process("run", cwd=root))
    lines = [line.strip() for line in run.splitlines()]
    assert "airforecaster 0.1.0 3" in lines
    assert f"{library}/airforecaster" in lines and library in lines


def test_a_second_setup_is_a_no_op_that_starts_no_r(brain, make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": _spec('{jsonlite: "*"}', repos="[]"),
                         "main.R": "cat('ran\\n')\n"})
    ok(brain_process("setup-deps", cwd=root))
    # Every R program on PATH now leaves a mark: a no-op must start none of them.
    poison = tmp_path / "poison"
    poison.mkdir()
    marker = tmp_path / "r-started"
    for program in ("R", "Rscript"):
        (poison / program).write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
        (poison / program).chmod(0o755)
    env = {**os.environ, "PATH": f"{poison}{os.pathsep}{os.environ['PATH']}"}
    result = ok(brain_process("setup-deps", "--json", cwd=root, env=env))
    assert json.loads(result)["changed"] is False
    assert not marker.exists()
    # A changed requirement is noticed from the bytes of the spec alone.
    spec = root / "onebrain.yml"
    spec.write_text(spec.read_text().replace('jsonlite: "*"', 'jsonlite: ">=1.0"'))
    assert brain_process("setup-deps", cwd=root, env=env).returncode == 3
    assert marker.exists()


def test_an_exact_pin_installs_that_version_not_the_newest(brain, make_project,  # type: ignore[no-untyped-def]
                                                           r_package) -> None:
    _publish(brain, r_package("airforecaster", "0.1.0"))
    _publish(brain, r_package("airforecaster", "0.2.0"))
    root = make_project({"onebrain.yml": _spec('{airforecaster: "==0.1.0"}'),
                         "main.R": "library(airforecaster); cat(forecast(1))\n"})
    ok(brain_process("setup-deps", cwd=root))
    assert _stamp(root)["installed"] == {"airforecaster": "0.1.0"}
    assert ok(brain_process("run", cwd=root)).startswith("airforecaster 0.1.0 1")


def test_a_failed_install_leaves_the_previous_library_in_place(brain, make_project,  # type: ignore[no-untyped-def]
                                                               r_package) -> None:
    _publish(brain, r_package("airforecaster", "0.1.0"))
    root = make_project({"onebrain.yml": _spec('{airforecaster: "==0.1.0"}'),
                         "main.R": "library(airforecaster); cat(forecast(1))\n"})
    ok(brain_process("setup-deps", cwd=root))
    before = _stamp(root)
    _publish(brain, r_package("airforecaster", "0.2.0", body="forecast <- function( {\n"))
    spec = root / "onebrain.yml"
    spec.write_text(spec.read_text().replace("==0.1.0", ">=0.2"))
    result = brain("setup-deps", str(root))
    assert result.exit_code == 3  # 0.2.0 does not even parse
    assert "not installed: airforecaster" in result.output
    assert _stamp(root) == before
    builds = _builds(root / ".brain" / "rlibs")
    # the failed build is gone
    assert [os.path.realpath(path) for path in builds] == [before["location"]]
    assert brain("run", "--no-setup", str(root)).exit_code == 3  # not what the spec asks


def test_a_version_the_repositories_lack_is_named(brain, make_project, r_package) -> None:  # type: ignore[no-untyped-def]
    _publish(brain, r_package("airforecaster", "0.1.0"))
    root = make_project({"onebrain.yml": _spec('{airforecaster: ">=1.0"}'), "main.R": "\n"})
    result = brain("setup-deps", str(root))
    assert result.exit_code == 3
    assert "airforecaster >=1.0 is not available: the repositories offer 0.1.0" in result.output


def test_an_interrupted_install_never_looks_ready(brain, make_project, r_package) -> None:  # type: ignore[no-untyped-def]
    # R evaluates a package's code while installing it: this one installs for minutes.
    _publish(brain, r_package("slowpkg", "0.1.0",
                              body="Sys.sleep(300)\nforecast <- function(h) h\n"))
    _publish(brain, r_package("quickpkg", "0.1.0"))
    root = make_project({"onebrain.yml": _spec('{quickpkg: "*"}'),
                         "main.R": "library(quickpkg); cat(forecast(2))\n"})
    ok(brain_process("setup-deps", cwd=root))
    before = _stamp(root)
    spec = root / "onebrain.yml"
    spec.write_text(spec.read_text().replace('quickpkg: "*"', 'quickpkg: "*", slowpkg: "*"'))
    child = subprocess.Popen([sys.executable, "-m", "brain", "setup-deps"], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    builds = root / ".brain" / "rlibs"
    while time.monotonic() < deadline and len(_builds(builds)) < 2:
        time.sleep(0.2)
    time.sleep(2)  # R is inside install.packages by now
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert _stamp(root) == before  # still the previous, complete library
    result = brain("run", "--no-setup", str(root))
    assert result.exit_code == 3  # stale against the spec: not ready
    spec.write_text(spec.read_text().replace(', slowpkg: "*"', ""))
    assert brain("run", "--no-setup", str(root)).exit_code == 0
    assert len(_builds(builds)) == 2  # the killed build is left, never current
    spec.write_text(spec.read_text().replace('quickpkg: "*"', 'quickpkg: ">=0.1"'))
    ok(brain_process("setup-deps", cwd=root))
    assert len(_builds(builds)) == 1  # and removed by the next build


def test_a_project_may_have_python_and_r(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": """
        name: both
        version: 0.1.0
        entry_points:
          py: {type: python, script: main.py}
          r: {type: r, script: main.R}
        env:
          python: {pip: []}
          r: {packages: {jsonlite: "*"}}
        """, "main.py": "print('python ok')\n", "main.R": "cat('r ok\\n')\n"})
    ok(brain_process("setup-deps", cwd=root))
    assert (root / ".brain" / "venv").is_symlink() and (root / ".brain" / "r-library").exists()
    assert "python ok" in ok(brain_process("run", "-e", "py", cwd=root))
    assert "r ok" in ok(brain_process("run", "-e", "r", cwd=root))


def test_a_library_link_brain_did_not_make_is_refused(brain, make_project,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not brain's")
    root = make_project({"onebrain.yml": _spec('{jsonlite: "*"}', repos="[]"),
                         "main.R": "cat(Sys.getenv('R_LIBS'), '\\n')\n"})
    ok(brain_process("setup-deps", cwd=root))
    link = root / ".brain" / "r-library"
    link.unlink()
    link.symlink_to(elsewhere)  # what a repository could commit
    spec = root / "onebrain.yml"
    spec.write_text(spec.read_text().replace('jsonlite: "*"', 'jsonlite: ">=1.0"'))
    result = brain("setup-deps", str(root))
    assert result.exit_code == 3
    assert "not to a brain build" in result.output
    assert (elsewhere / "keep.txt").read_text() == "not brain's"
    assert link.is_symlink()
