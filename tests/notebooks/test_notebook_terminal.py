"""A notebook run on a terminal: rich outputs are not echoed as `<... object>` reprs, and
Ctrl-C stops it with one line, no traceback, exit 130."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notebooks.conftest import notebook_json, run_brain
from tests.run.conftest import build_environment, start_brain, wait_for, write_files

pytestmark = pytest.mark.slow

SHOWS = notebook_json(
    ("code", "from IPython.display import HTML, display\nprint('plain text stays')\n"
             "display(HTML('<b>bold</b>'))", []),
)
SLEEPS = notebook_json(
    ("code", "import pathlib, time\npathlib.Path('started').write_text('1')\ntime.sleep(120)",
     []),
)
SPEC = """
name: terminal
version: 0.1.0
entry_points:
  shows:
    type: notebook
    notebook: shows.ipynb
  sleeps:
    type: notebook
    notebook: sleeps.ipynb
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, module_home: None) -> Iterator[Path]:
    root = write_files(tmp_path_factory.mktemp("terminal"), {
        "onebrain.yml": SPEC, "shows.ipynb": SHOWS, "sleeps.ipynb": SLEEPS})
    build_environment(root)
    yield root


def test_rich_outputs_are_not_echoed_as_reprs(project: Path) -> None:
    result = run_brain("run", str(project), "-e", "shows")
    assert result.returncode == 0, result.stderr
    assert "plain text stays" in result.stdout
    assert "IPython.core.display" not in result.stdout + result.stderr


def test_ctrl_c_stops_a_notebook_without_a_traceback(project: Path) -> None:
    brain = start_brain("run", str(project), "-e", "sleeps", "--no-setup")
    wait_for(lambda: (project / "started").exists() or brain.poll() is not None,
             timeout=120, what="the cell to start")
    brain.send_signal(signal.SIGINT)
    out, err = brain.communicate(timeout=60)
    assert brain.returncode == 130, err
    assert "Traceback" not in out + err and "KeyboardInterrupt" not in out + err, err
    assert "interrupted" in err
