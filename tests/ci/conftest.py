"""A real three-project workspace in a git repository: a library, a project that installs it
from the local index, and a report project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.share.conftest import launch_python, page, start_hub  # noqa: F401 (fixtures)
from tests.share.test_hub_pages_browser import axe_script  # noqa: F401 (a fixture)
from tests.workspace.helpers import commit_all, git

LIB = "zz-brain-ci-lib"  # a name nobody publishes, so only the local index can provide it
LIB_IMPORT = "zz_brain_ci_lib"


def lib_spec(version: str) -> str:
    return (f"name: {LIB}\nversion: {version}\nbuild_enabled: true\n"
            "authors: [Jane Doe <jane@example.com>]\n"
            "entry_points:\n  test:\n    type: bash\n"
            f"    command: PYTHONPATH=src python -c 'import {LIB_IMPORT} as m; assert m.ok()'\n")


CONSUMER_SPEC = (
    "name: consumer\nversion: 0.1.0\n"
    "entry_points:\n"
    "  tests:\n    type: bash\n"
    f"    command: python -c 'import {LIB_IMPORT} as m; print(\"LIB VALUE\", m.VALUE)'\n"
    "  main:\n    type: bash\n    command: echo main\n"
    "env:\n  python:\n"
    f"    pip: {{{LIB}: '>=0.1'}}\n"
    "    extra_index_urls: [local]\n")

REPORT_SPEC = (
    "name: weekly-report\nversion: 0.1.0\n"
    "entry_points:\n"
    "  report:\n    type: bash\n"
    "    command: echo \"rendered for $BRAIN_RUN_ID\" > report.txt && cat report.txt\n"
    "  test-quick:\n    type: bash\n    command: 'true'\n")


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The three projects, committed on `main`."""
    root = tmp_path / "ws"
    root.mkdir()
    git(root, "init", "--quiet", "-b", "main")
    write(root, ".gitignore", ".brain/\ndist/\n__pycache__/\nreport.txt\n")
    write(root, "libs/lib/onebrain.yml", lib_spec("0.1.0"))
    write(root, f"libs/lib/src/{LIB_IMPORT}/__init__.py",
          "VALUE = '0.1.0'\n\n\ndef ok():\n    return True\n")
    write(root, "apps/consumer/onebrain.yml", CONSUMER_SPEC)
    write(root, "reports/weekly/onebrain.yml", REPORT_SPEC)
    commit_all(root, "three projects")
    return root


def ci(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`brain ci run ARGS` as a real process in `root` (BRAIN_HOME comes from the test)."""
    return subprocess.run([sys.executable, "-m", "brain", "ci", "run", *args], cwd=root,
                          capture_output=True, text=True, timeout=900)


def ci_json(root: Path, *args: str) -> tuple[int, dict]:
    done = ci(root, "--json", *args)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError:
        raise AssertionError(done.stdout + done.stderr) from None


def statuses(data: dict) -> dict[tuple[str, str], str]:
    """(project key, step label) -> status."""
    return {(r["project"], r["step"]): r["status"] for r in data["results"]}
