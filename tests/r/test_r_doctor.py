"""`brain doctor` reports the R installation, and says what to install when R is missing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest


def test_doctor_reports_r_and_its_packages(brain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    r = {check["name"]: check for check in json.loads(result.stdout)}["r"]
    assert r["status"] == "ok", r
    assert r["detail"].startswith("R 4.") and "IRkernel, shiny, jsonlite and remotes" in r["detail"]


def test_doctor_says_how_to_get_r(brain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # A PATH with git and uv but no R at all.
    bare = tmp_path / "bin"
    bare.mkdir()
    for program in ("git", "uv"):
        found = shutil.which(program)
        if found:
            (bare / program).symlink_to(found)
    monkeypatch.setenv("PATH", str(bare))
    result = brain("doctor", "--no-docker", "--json", cwd=tmp_path)
    r = {check["name"]: check for check in json.loads(result.stdout)}["r"]
    assert r["status"] == "warn"
    assert "R is not installed" in r["detail"] and "r-base-core" in r["hint"]
    assert os.environ["PATH"] == str(bare)
