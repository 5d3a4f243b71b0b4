"""`brain build` / `brain publish` of an R package and `brain index serve`: a CRAN-like
repository that plain R, remotes and other brain projects install from."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from brain.publish.index import index_root
from brain.publish.server import IndexServer, serve_in_thread, start_server

from .conftest import brain_process, ok, rscript

pytestmark = pytest.mark.slow


@pytest.fixture
def served() -> Iterator[IndexServer]:
    server = start_server(index_root(), "127.0.0.1", 0)
    serve_in_thread(server)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _base(server: IndexServer) -> str:
    return server.url[: -len("/simple")]


def test_build_makes_a_source_package(brain, r_package) -> None:  # type: ignore[no-untyped-def]
    root = r_package("airforecaster", "0.1.0")
    (root / ".brain").mkdir()
    (root / ".brain" / "secret").write_text("never shipped")
    result = brain("build", str(root))
    assert result.exit_code == 0, result.output
    tarball = root / "dist" / "airforecaster_0.1.0.tar.gz"
    assert tarball.is_file()
    import tarfile

    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "airforecaster/DESCRIPTION" in names and "airforecaster/R/forecast.R" in names
    assert not [name for name in names if "onebrain" in name or ".brain" in name]


def test_build_refuses_files_that_point_outside(brain, r_package, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = r_package("airforecaster", "0.1.0")
    outside = tmp_path / "outside.R"
    outside.write_text("secret <- 1\n")
    (root / "R" / "leak.R").symlink_to(outside)
    (root / "inst").symlink_to(tmp_path)
    result = brain("build", str(root))
    assert result.exit_code == 2
    assert "inst points outside the project" in result.output


def test_publish_writes_a_cran_like_repository(brain, r_package) -> None:  # type: ignore[no-untyped-def]
    result = brain("publish", str(r_package("airforecaster", "0.1.0")))
    assert result.exit_code == 0, result.output
    contrib = index_root() / "r" / "src" / "contrib"
    assert (contrib / "airforecaster_0.1.0.tar.gz").is_file()
    packages = (contrib / "PACKAGES").read_text()
    assert "Package: airforecaster\nVersion: 0.1.0" in packages and "MD5sum:" in packages
    assert gzip.decompress((contrib / "PACKAGES.gz").read_bytes()).decode() == packages
    again = brain("publish", str(r_package("airforecaster", "0.1.0", folder="copy")))
    assert again.exit_code == 2
    assert "already published" in again.output
    assert brain("publish", str(r_package("airforecaster", "0.2.0"))).exit_code == 0
    assert "Version: 0.2.0" in (contrib / "PACKAGES").read_text()


def test_plain_r_installs_from_the_served_index(brain, r_package, served: IndexServer,  # type: ignore[no-untyped-def]
                                               tmp_path: Path) -> None:
    assert brain("publish", str(r_package("airforecaster", "0.1.0"))).exit_code == 0
    library = tmp_path / "plain-lib"
    library.mkdir()
    repos = f"{_base(served)}/r"
    installed = rscript(
        f'install.packages("airforecaster", repos = "{repos}", lib = "{library}", '
        f'quiet = TRUE); library(airforecaster, lib.loc = "{library}"); cat(forecast(2))')
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == "airforecaster 0.1.0 2"

    other = tmp_path / "remotes-lib"
    other.mkdir()
    url = f"{repos}/src/contrib/airforecaster_0.1.0.tar.gz"
    by_url = rscript(f'remotes::install_url("{url}", lib = "{other}", upgrade = "never", '
                     f'quiet = TRUE); cat(file.exists("{other}/airforecaster/DESCRIPTION"))',
                     env={"R_LIBS_USER": str(other)})
    assert by_url.returncode == 0, by_url.stderr
    assert by_url.stdout.endswith("TRUE")


def test_another_brain_project_depends_on_it(brain, r_package, make_project,  # type: ignore[no-untyped-def]
                                             served: IndexServer) -> None:
    assert brain("publish", str(r_package("airforecaster", "0.1.0"))).exit_code == 0
    for repos in ("[local]", f'["{_base(served)}/r"]'):
        root = make_project({"onebrain.yml": f"""
            name: forecast
            version: 0.2.0
            entry_points:
              fit:
                type: r
                script: R/fit.R
                parameters:
                  horizon: {{type: int, default: 7, min: 1}}
            env:
              r:
                version: "4.2"
                packages: {{airforecaster: "==0.1.0", jsonlite: ">=1.8"}}
                repos: {repos}
            """, "R/fit.R": 'library(airforecaster)\n'
                            'cat(forecast(as.integer(Sys.getenv("BRAIN_PARAM_horizon"))))\n'})
        ok(brain_process("setup-deps", cwd=root))
        assert ok(brain_process("run", "-P", "horizon=5", cwd=root)).startswith(
            "airforecaster 0.1.0 5")
