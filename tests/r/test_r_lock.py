"""`brain lock` pins R packages (name, version, repository, checksum) into onebrain.r.lock,
which `setup-deps` then installs exactly; `--renv` exports renv.lock."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from brain.publish.index import index_root

from .conftest import brain_process, ok

pytestmark = pytest.mark.slow

SPEC = """
name: consumer
version: 0.1.0
entry_points:
  main: {type: r, script: main.R}
env:
  r:
    packages: {airforecaster: ">=0.1", jsonlite: "*"}
    repos: [local]
"""


def test_lock_pins_and_setup_installs_the_pins(brain, make_project, r_package,  # type: ignore[no-untyped-def]
                                               tmp_path: Path) -> None:
    assert brain("publish", str(r_package("airforecaster", "0.1.0"))).exit_code == 0
    root = make_project({"onebrain.yml": SPEC,
                         "main.R": "library(airforecaster); cat(forecast(1))\n"})
    result = brain("lock", "--renv", "--json", str(root))
    assert result.exit_code == 0, result.output
    pins = {item["name"]: item for item in json.loads(result.stdout)["r_packages"]}
    tarball = index_root() / "r" / "src" / "contrib" / "airforecaster_0.1.0.tar.gz"
    assert pins["airforecaster"] == {
        "name": "airforecaster", "version": "0.1.0", "source": "repository",
        "repository": "local", "md5": hashlib.md5(tarball.read_bytes()).hexdigest()}
    assert pins["jsonlite"]["source"] == "system"
    renv = json.loads((root / "renv.lock").read_text())
    assert renv["Packages"]["airforecaster"]["Version"] == "0.1.0"
    assert renv["R"]["Version"].startswith("4.")
    assert renv["R"]["Repositories"][0]["URL"] == (index_root() / "r").as_uri()

    # The lock adopted the library it was taken from: no R to start for setup-deps.
    poison = tmp_path / "poison"
    poison.mkdir()
    for program in ("R", "Rscript"):
        (poison / program).write_text("#!/bin/sh\nexit 1\n")
        (poison / program).chmod(0o755)
    ok(brain_process("setup-deps", cwd=root,
                     env={**os.environ, "PATH": f"{poison}{os.pathsep}{os.environ['PATH']}"}))

    # A newer version appears: a fresh setup still installs the locked one.
    assert brain("publish", str(r_package("airforecaster", "0.2.0"))).exit_code == 0
    assert brain("clean", "--all", str(root)).exit_code == 0
    ok(brain_process("setup-deps", cwd=root))
    assert ok(brain_process("run", cwd=root)).startswith("airforecaster 0.1.0 1")

    # A changed spec makes the lock stale: the specifier decides again.
    spec = root / "onebrain.yml"
    spec.write_text(spec.read_text().replace(">=0.1", ">=0.2"))
    ok(brain_process("setup-deps", cwd=root))
    assert ok(brain_process("run", cwd=root)).startswith("airforecaster 0.2.0 1")


def test_renv_needs_env_r(brain, make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project({"onebrain.yml": "name: plain\nversion: 0.1.0\n"})
    result = brain("lock", "--renv", str(root))
    assert result.exit_code == 2
    assert "declares no env.r" in result.output


@pytest.mark.parametrize(("name", "version"), [
    ("../../../tmp/evil", "0.1.0"), ("airforecaster", "0.1.0/../../x"),
    ("air'); system('touch x')", "0.1.0"), ("airforecaster", 1)])
def test_a_tampered_lock_is_refused(brain, make_project, name: object,  # type: ignore[no-untyped-def]
                                    version: object) -> None:
    root = make_project({"onebrain.yml": SPEC, "main.R": "\n"})
    from brain.rlang.library import r_inputs
    from brain.spec.loader import load_project

    inputs = r_inputs(load_project(root).spec, root, locked=False)
    assert inputs is not None
    (root / "onebrain.r.lock").write_text(json.dumps({
        "format": 1, "inputs_sha256": inputs.digest(), "packages": [
            {"name": name, "version": version, "source": "repository"}]}))
    result = brain("setup-deps", str(root))
    assert result.exit_code == 2, result.output
    assert "onebrain.r.lock" in result.output
    assert not (root / "x").exists()
