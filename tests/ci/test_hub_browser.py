"""The issue's "done when", as a new user would do it, in a real headless Chromium: a
workspace of three projects (a library, a project that installs it, a notebook report) in a
real git repository, a real bare remote with `brain ci hook install`, real pushes. One push
publishes the new library version, runs the affected projects' tests, renders the report for
that commit, and the hub shows it; a later push runs only what it affects; the report is run
again by hand for a chosen commit with a chosen value, and its page appears.

The push-to-page figures are written to the test's output (`-s`) and to
$BRAIN_CI_TIMINGS when set; nothing asserts a time (benchmarks/bench_ci.py measures them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.ci.conftest import CONSUMER_SPEC, LIB, LIB_IMPORT, lib_spec, write
from tests.notebooks.conftest import notebook_json
from tests.share.conftest import NEEDS_CHROMIUM, Hub
from tests.workspace.helpers import commit_all, git

pytestmark = [
    pytest.mark.slow,
    NEEDS_CHROMIUM,
]
SHOTS = Path("/tmp/brain-hub-shots")

REPORT_SPEC = """\
name: weekly-report
version: 0.1.0
description: The weekly numbers
entry_points:
  report:
    type: notebook
    notebook: report.ipynb
    metrics: metrics.json
    parameters:
      label: {type: str, default: weekly, help: The report's title}
  test-quick:
    type: bash
    command: 'true'
env:
  python:
    version: "3.11"
"""


def report_notebook(accuracy: float) -> str:
    return notebook_json(
        ("code", 'label = "weekly"', ["parameters"]),
        ("code", f"import json\naccuracy = {accuracy}\n"
                 "json.dump({'accuracy': accuracy}, open('metrics.json', 'w'))\n"
                 "print(f'REPORT {label}: accuracy {accuracy}')", []))


def push(workspace: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    done = subprocess.run(["git", "push", "--quiet", "origin", "main"], cwd=workspace,
                          capture_output=True, text=True, timeout=1200)
    return time.monotonic() - started, done


def steps_of(home: Path, sha: str) -> dict[tuple[str, str], str]:
    recorded = json.loads((home / "ci" / "commits" / f"{sha}.json").read_text())
    return {(r["project"], r["step"]): r["status"] for r in recorded["results"]}


@pytest.fixture
def shared_uv_cache(own_cache: Path) -> None:
    """The suite's package cache under this test's own cache: papermill and friends once."""
    from tests.conftest import REPO_ROOT

    shared = Path(os.environ.get("BRAIN_TEST_CACHE", REPO_ROOT / ".test-cache")) / "uv"
    shared.mkdir(parents=True, exist_ok=True)
    (own_cache / "uv").symlink_to(shared, target_is_directory=True)


@pytest.fixture
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
              ) -> Path:
    cache = tmp_path_factory.mktemp("brain-cache")
    monkeypatch.setenv("BRAIN_CACHE_DIR", str(cache))
    return cache


def test_one_push_publishes_tests_reports_and_the_hub_shows_it(
        brain: Callable[..., Any], page: Any, start_hub: Callable[..., Hub], tmp_path: Path,
        isolated: Path, shared_uv_cache: None) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    figures: dict[str, float] = {}
    server = tmp_path / "server.git"
    subprocess.run(["git", "init", "--bare", "--quiet", "-b", "main", str(server)], check=True)
    assert brain("ci", "hook", "install", str(server)).exit_code == 0
    workspace = tmp_path / "ws"
    workspace.mkdir()
    git(workspace, "init", "--quiet", "-b", "main")
    write(workspace, ".gitignore", ".brain/\ndist/\n__pycache__/\nmetrics.json\n")
    write(workspace, "libs/lib/onebrain.yml", lib_spec("0.1.0"))
    write(workspace, f"libs/lib/src/{LIB_IMPORT}/__init__.py",
          "VALUE = '0.1.0'\n\n\ndef ok():\n    return True\n")
    write(workspace, "apps/consumer/onebrain.yml", CONSUMER_SPEC)
    write(workspace, "reports/weekly/onebrain.yml", REPORT_SPEC)
    write(workspace, "reports/weekly/report.ipynb", report_notebook(0.81))
    first = commit_all(workspace, "three projects")
    git(workspace, "remote", "add", "origin", str(server))
    figures["first push (every project, environments built), s"], done = push(workspace)
    assert done.returncode == 0 and "brain ci: main passed" in done.stderr, done.stderr
    hub = start_hub()

    # The push under test: a new library version and a better report, in one commit.
    write(workspace, "libs/lib/onebrain.yml", lib_spec("0.2.0"))
    write(workspace, f"libs/lib/src/{LIB_IMPORT}/__init__.py",
          "VALUE = '0.2.0'\n\n\ndef ok():\n    return True\n")
    write(workspace, "reports/weekly/report.ipynb", report_notebook(0.91))
    message = "lib 0.2.0 <b>and</b> a better model"
    second = commit_all(workspace, message)
    started = time.monotonic()
    figures["the push (hook: ci of the affected projects), s"], done = push(workspace)
    assert done.returncode == 0 and "brain ci: main passed" in done.stderr, done.stderr
    page.goto(f"{hub.url}/ci/projects/default/weekly-report")
    expect(page.locator(f'[data-commit="{second}"]')).to_be_visible()
    figures["push to page (the commit on the hub), s"] = time.monotonic() - started

    steps = steps_of(isolated, second)
    assert steps[(f"default/{LIB}", "publish")] == "passed"
    assert (isolated / "index" / "simple" / LIB).is_dir()
    assert any("0.2.0" in wheel.name for wheel in (isolated / "index").rglob("*.whl"))
    assert steps[("default/consumer", "test:tests")] == "passed"
    assert steps[("default/weekly-report", "report:report")] == "passed"

    # The project page: newest first, the status, the tests in words, the trend, the report.
    commits = page.locator("li.commit")
    expect(commits).to_have_count(2)
    newest = commits.first
    assert newest.get_attribute("data-commit") == second
    expect(newest.locator(".title")).to_have_text(message)  # shown as text, not markup
    expect(newest.locator(".badge").first).to_have_text("passed")
    expect(newest.locator(".tests")).to_have_text("1 of 1 test passed")
    expect(page.locator('[data-metric="accuracy"] .latest')).to_have_text("0.91 ↑")
    page.screenshot(path=str(SHOTS / "ci-project.png"), full_page=True)
    newest.locator(".report-link").click()
    expect(page.locator("body")).to_contain_text("REPORT weekly: accuracy 0.91")

    # The library's page says it was published.
    page.goto(f"{hub.url}/ci")
    page.click(f"text={LIB}")
    expect(page.locator("li.commit").first.locator(".steps")).to_contain_text(
        "published: passed")

    # A later push touching only the consumer runs only the consumer.
    write(workspace, "apps/consumer/notes.md", "more\n")
    third = commit_all(workspace, "consumer notes")
    _, done = push(workspace)
    assert done.returncode == 0, done.stderr
    assert {project for project, _ in steps_of(isolated, third)} == {"default/consumer"}
    page.goto(f"{hub.url}/ci/projects/default/weekly-report")
    expect(page.locator("li.commit")).to_have_count(2)  # the report was not affected

    # The manual trigger: the first commit's report, with a chosen title.
    page.goto(f"{hub.url}/ci/projects/default/weekly-report")
    page.click(f'[data-commit="{first}"] .title')
    expect(page.locator("#commit")).to_have_text(first)
    form = page.locator("form.trigger")
    form.locator('input[name="label"]').fill("for the board")
    form.locator("button.run-report").click()
    expect(page.locator("#new-report-link")).to_be_visible(timeout=600_000)
    page.screenshot(path=str(SHOTS / "ci-commit-triggered.png"), full_page=True)
    page.click("#new-report-link")
    expect(page.locator("body")).to_contain_text("REPORT for the board: accuracy 0.81")
    page.goto(f"{hub.url}/ci/projects/default/weekly-report/commits/{first}")
    expect(page.locator("#manual .manual-report-link")).to_have_count(1)
    expect(page.locator("#manual")).to_contain_text("label = for the board")

    # The project page a launch link opens points at the project's tested commits.
    launch_id = re.search(r'href="/launches/([0-9a-f]{16})"', page.content())
    assert launch_id is not None
    page.goto(f"{hub.url}/launches/{launch_id.group(1)}/again")
    expect(page.locator("#ci-link")).to_have_attribute("href",
                                                       "/ci/projects/default/weekly-report")

    lines = [f"{name}: {value:.1f}" for name, value in figures.items()]
    print("\n".join(["", "brain ci push-to-page timings:", *lines]))
    if os.environ.get("BRAIN_CI_TIMINGS"):
        Path(os.environ["BRAIN_CI_TIMINGS"]).write_text(json.dumps(figures, indent=2))
