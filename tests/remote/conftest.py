"""Fixtures for the remote-work tests: a private sshd (tests/remote/sshd.py), a "remote"
folder (just another folder under tmp_path) and a small project to push around. Without
sshd the tests skip, unless BRAIN_REQUIRE_SSH=1 (scripts/test sets it after
scripts/ssh-setup), which makes that a failure.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.remote.sshd import Sshd, jupyter_folders, missing_tools, private_sshd

__all__ = ["Sshd", "jupyter_folders"]


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    missing = missing_tools()
    if missing:
        if os.environ.get("BRAIN_REQUIRE_SSH") == "1":
            pytest.fail(f"{', '.join(missing)} missing and BRAIN_REQUIRE_SSH=1: "
                        "run scripts/ssh-setup")
        pytest.skip(f"{', '.join(missing)} not installed (scripts/ssh-setup installs them)")
    with private_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def remote_folder(sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder on the "remote", with brain pointed at the test sshd."""
    monkeypatch.setenv("BRAIN_SSH_CONFIG", str(sshd.client_config))
    folder = tmp_path / "remote-box" / "demo"
    return folder


PROJECT_SPEC = """
name: demo
version: 0.1.0
entry_points:
  fit:
    type: shell
    command: python fit.py {{ alpha }}
    parameters:
      alpha: {type: float, default: 0.5}
    outputs: [models/model.txt]
  fail:
    type: shell
    command: python -c "import sys; print('failing'); sys.exit(7)"
  sleep:
    type: shell
    command: python sleeper.py
"""

FIT_SCRIPT = """
import os, sys
from pathlib import Path
Path("models").mkdir(exist_ok=True)
Path("models/model.txt").write_text(f"alpha={sys.argv[1]} host-run={os.environ['BRAIN_RUN_ID']}")
print("fitted with alpha", sys.argv[1])
"""

SLEEP_SCRIPT = """
import os, time
from pathlib import Path
Path("sleeper.pid").write_text(str(os.getpid()))
print("sleeping", flush=True)
time.sleep(120)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small project (git-ignored outputs, a .brain folder of its own) to push around."""
    root = tmp_path / "demo"
    for relative, text in {
        "onebrain.yml": PROJECT_SPEC, "fit.py": FIT_SCRIPT, "sleeper.py": SLEEP_SCRIPT,
        ".gitignore": "models/\n*.log\n", "data/train.csv": "x,y\n1,2\n",
        "debug.log": "ignored by git\n",
    }.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    # brain's own state, made by brain (marked), with something in it that must never move
    from brain.statefs import project_state

    (project_state(root) / "secret-state").write_text("never copied\n")
    return root
