"""Notebook entry points, for real: papermill in the project's uv environment, parameters
injected with their types, HTML rendered, provenance recorded, a failing cell failing the
run and keeping the partial notebook; and `brain report` over what they left."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result
from tests.notebooks.conftest import run_brain

pytestmark = pytest.mark.slow

# Quotes, a newline and code-looking text: injected as a string literal, never as code.
HOSTILE_LABEL = "x\"; open('SENTINEL', 'w') #\n'''"


@dataclass
class Runs:
    project: Path
    good: subprocess.CompletedProcess[str]
    bad: subprocess.CompletedProcess[str]

    def record(self, which: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(getattr(self, which).stdout)
        return data

    def folder(self, which: str) -> Path:
        return self.project / ".brain" / "reports" / self.record(which)["id"]


@pytest.fixture(scope="module")
def runs(notebook_project: Path) -> Runs:
    good = run_brain("run", str(notebook_project), "-e", "report", "--json",
                     "-P", "days=30", "-P", "ds=2024-03-01", "-P", "scale=2.5",
                     "-P", "full=yes", "-P", f"label={HOSTILE_LABEL}")
    bad = run_brain("run", str(notebook_project), "-e", "broken", "--json", "-P", "x=7")
    return Runs(notebook_project, good, bad)


def test_the_environment_gets_papermill_nbconvert_and_ipykernel(notebook_project: Path) -> None:
    python = notebook_project / ".brain" / "venv" / "bin" / "python"
    found = subprocess.run([str(python), "-c", "import papermill, nbconvert, ipykernel; "
                            "print(papermill.__version__, ipykernel.__version__)"],
                           capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["2.7.0", "6.29.5"]


def test_parameters_are_injected_with_their_types_and_visible_in_the_html(runs: Runs) -> None:
    assert runs.good.returncode == 0, runs.good.stderr
    folder = runs.folder("good")
    html = (folder / "report.html").read_text()
    # What the notebook printed, from the injected values (typed: int, ISO date, float, bool).
    assert "injected: days=30 ds='2024-03-01' scale=2.5 full=True" in html
    assert "celltag_injected-parameters" in html  # the cell papermill added after `parameters`
    executed = json.loads((folder / "report.ipynb").read_text())
    injected = [cell for cell in executed["cells"]
                if "injected-parameters" in cell["metadata"].get("tags", [])]
    assert len(injected) == 1 and "days = 30" in "".join(injected[0]["source"])
    printed = "".join(executed["cells"][3]["outputs"][0]["text"])
    assert f"label: {HOSTILE_LABEL}\n" in printed  # verbatim, as one string
    assert not (runs.project / "SENTINEL").exists()
    assert not (runs.project / "notebooks" / "SENTINEL").exists()


def test_provenance_sits_beside_the_report(runs: Runs) -> None:
    record = runs.record("good")
    provenance = json.loads((runs.folder("good") / "provenance.json").read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=runs.project, capture_output=True,
                          text=True, check=True).stdout.strip()
    assert provenance["run_id"] == record["id"]
    assert provenance["commit"] == head and provenance["dirty"] is False
    assert provenance["parameters"] == {"days": 30, "label": HOSTILE_LABEL, "ds": "2024-03-01",
                                        "scale": 2.5, "full": True}
    assert len(provenance["inputs"]["notebooks/report.ipynb"]) == 64
    assert provenance["environment"]["identity"] == record["env_identity"]
    assert provenance["timings"]["execute_seconds"] > 0
    assert provenance["timings"]["render_seconds"] > 0
    assert provenance["status"] == "succeeded"
    assert record["report"] == str(runs.folder("good") / "report.html")


def test_a_failing_cell_fails_the_run_shows_its_error_and_keeps_the_partial_notebook(
        runs: Runs) -> None:
    assert runs.bad.returncode == 1
    assert "ValueError: bad x 7" in runs.bad.stderr
    assert "cell In [" in runs.bad.stderr and "partial notebook is kept" in runs.bad.stderr
    record = runs.record("bad")
    assert record["status"] == "failed"
    folder = runs.folder("bad")
    executed = json.loads((folder / "broken.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in executed["cells"]]
    ran = {source: cell.get("outputs", []) for source, cell in zip(sources, executed["cells"],
                                                                    strict=True)}
    assert "before the failure 7" in "".join(ran["print('before the failure', x)"][0]["text"])
    assert ran["print('never reached')"] == []  # kept up to the failing cell, no further
    assert (folder / "broken.html").is_file()
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["status"] == "failed"
    assert "ValueError: bad x 7" in provenance["error"]


def test_report_list_shows_newest_first_with_parameters_and_commit(
        runs: Runs, brain: Callable[..., Result]) -> None:
    listed = brain("report", "list", "--path", str(runs.project), "--json")
    assert listed.exit_code == 0, listed.output
    reports = json.loads(listed.stdout)
    assert [report["run_id"] for report in reports] == [runs.record("bad")["id"],
                                                         runs.record("good")["id"]]
    assert reports[1]["parameters"]["days"] == 30 and reports[1]["commit"]
    plain = brain("report", cwd=runs.project / "notebooks")  # found from a subfolder
    assert plain.exit_code == 0, plain.output
    lines = plain.stdout.splitlines()
    assert lines[0].split("\t")[:4] == ["run", "started", "entry", "status"]
    assert lines[1].startswith(runs.record("bad")["id"]) and "failed" in lines[1]
    assert "days=30" in lines[2]


def test_report_index_links_every_report(runs: Runs, brain: Callable[..., Result]) -> None:
    result = brain("report", "index", "--path", str(runs.project))
    assert result.exit_code == 0, result.output
    index = Path(result.stdout.strip())
    assert index == runs.project / ".brain" / "reports" / "index.html"
    page = index.read_text()
    for which, name in (("good", "report.html"), ("bad", "broken.html")):
        link = f'href="{runs.record(which)["id"]}/{name}"'
        assert link in page
        assert (index.parent / runs.record(which)["id"] / name).is_file()
    assert "days=30" in page and "ValueError: bad x 7" in page
    assert "<script" not in page and "SENTINEL&#39;" in page  # values escaped, not markup


def test_report_open_prints_the_html_path(runs: Runs, brain: Callable[..., Result]) -> None:
    run_id = runs.record("good")["id"]
    result = brain("report", "open", run_id[:14], "--path", str(runs.project))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(runs.folder("good") / "report.html")


def test_a_second_run_with_other_parameters_is_a_second_report(
        notebook_project: Path, brain: Callable[..., Result]) -> None:
    result = brain("run", str(notebook_project), "-e", "report", "-P", "days=2", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    html = Path(record["report"]).read_text()
    assert "injected: days=2 " in html and record["cached"] is False
