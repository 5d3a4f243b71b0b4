"""Publishing to a real index server (pypiserver) through the upload API, and its errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.publish.conftest import LIB_A, LIB_A_IMPORT, free_port

pytestmark = pytest.mark.slow


def test_upload_to_pypiserver_then_install_from_it(brain, make_library, pypiserver,
                                                     tmp_path: Path) -> None:
    url, packages = pypiserver
    result = brain("publish", str(make_library(value="uploaded")), "--index", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "upload"
    assert sorted(p.name for p in packages.iterdir()) == [
        "zz_brain_pubtest_alpha-0.1.0-py3-none-any.whl", "zz_brain_pubtest_alpha-0.1.0.tar.gz"]
    # what the server now offers installs and imports
    from uv import find_uv_bin

    venv = tmp_path / "venv"
    subprocess.run([find_uv_bin(), "venv", "-q", str(venv)], check=True)
    subprocess.run([find_uv_bin(), "pip", "install", "-q", "--python", str(venv / "bin/python"),
                    "--extra-index-url", f"{url}simple/", LIB_A], check=True)
    shown = subprocess.run([str(venv / "bin/python"), "-c",
                            f"import {LIB_A_IMPORT} as m; print(m.VALUE)"],
                           capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "uploaded"


def test_upload_of_a_published_version_is_refused(brain, make_library, pypiserver) -> None:
    url, packages = pypiserver
    assert brain("publish", str(make_library(value="one")), "--index", url).exit_code == 0
    before = {p.name: p.read_bytes() for p in packages.iterdir()}
    again = brain("publish", str(make_library(value="two")), "--index", url)
    assert again.exit_code == 2
    assert f"{LIB_A} 0.1.0 is already published on {url}" in again.stderr
    assert {p.name: p.read_bytes() for p in packages.iterdir()} == before


def test_unreachable_index_is_an_environment_failure(brain, make_library) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    result = brain("publish", str(make_library()), "--index", url)
    assert result.exit_code == 3
    assert f"cannot reach the package index at {url}" in result.stderr


def test_credentials_in_the_url_are_not_printed(brain, make_library) -> None:
    url = f"http://user:hunter2@127.0.0.1:{free_port()}/"
    result = brain("publish", str(make_library()), "--index", url)
    assert result.exit_code == 3
    assert "hunter2" not in result.output


@pytest.mark.parametrize(("index", "message"), [
    ("ftp://example.com/", "unsupported URL scheme"),
    ("http://", "is not an http(s) URL"),
    ("http://example.com/ $(touch pwned)", "whitespace or control characters"),
    ("", "--index is empty"),
])
def test_bad_index_values(brain, make_library, index: str, message: str) -> None:
    project = make_library()
    result = brain("publish", str(project), "--index", index, cwd=project)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (project / "pwned").exists()
