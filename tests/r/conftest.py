"""R tests run the real R from the machine (scripts/r-setup installs it); they skip without
R, and fail instead when BRAIN_REQUIRE_R is set (CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _real_r() -> None:
    if shutil.which("Rscript") is None:
        reason = "R is not installed (scripts/r-setup installs it)"
        if os.environ.get("BRAIN_REQUIRE_R", "") not in ("", "0"):
            pytest.fail(reason + " (BRAIN_REQUIRE_R is set: CI must not skip these)")
        pytest.skip(reason)


def brain_process(*args: str, cwd: Path, env: dict[str, str] | None = None,
                  timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`python -m brain ARGS` as a user runs it (a real process)."""
    return subprocess.run([sys.executable, "-m", "brain", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env or dict(os.environ))


def ok(run: subprocess.CompletedProcess[str]) -> str:
    """The output of a run that must have succeeded."""
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


def rscript(code: str, *, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Plain R, as an R user runs it (vanilla: no profile, no user library)."""
    return subprocess.run(["Rscript", "--vanilla", "-e", code], capture_output=True, text=True,
                          timeout=600, cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture
def r_package(tmp_path: Path) -> Callable[..., Path]:
    """Write a small R package project (onebrain.yml + DESCRIPTION + R/):
    r_package("airforecaster", "0.1.0", body="...") -> its folder."""

    def make(name: str, version: str, *, body: str | None = None,
             folder: str | None = None) -> Path:
        root = tmp_path / (folder or f"{name}-{version}")
        (root / "R").mkdir(parents=True)
        (root / "onebrain.yml").write_text(f"name: {name.lower()}\nversion: {version}\n")
        (root / "DESCRIPTION").write_text(textwrap.dedent(f"""\
            Package: {name}
            Type: Package
            Title: A test package
            Version: {version}
            Authors@R: person("Test User", email = "test@example.com", role = c("aut", "cre"))
            Description: A package for brain's tests.
            License: MIT
            Encoding: UTF-8
            """))
        (root / "NAMESPACE").write_text("export(forecast)\n")
        (root / "R" / "forecast.R").write_text(body or (
            f'forecast <- function(horizon) paste("{name}", "{version}", horizon)\n'))
        return root

    return make
