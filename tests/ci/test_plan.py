"""The plan of `brain ci run`: conventions, affected projects, order, main-branch steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from brain.ci.plan import is_report_entry, is_test_entry, make_plan
from tests.ci.conftest import LIB, write
from tests.workspace.helpers import commit_all, git


@pytest.mark.parametrize(("name", "expected"), [
    ("test", True), ("tests", True), ("Tests", True), ("test-unit", True), ("test_unit", True),
    ("tests-slow", True), ("testing", False), ("contest", False), ("main", False)])
def test_test_entry_convention(name: str, expected: bool) -> None:
    assert is_test_entry(name) is expected


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("report", "bash", True), ("report-weekly", "shell", True), ("analysis", "notebook", True),
    ("reporting", "bash", False), ("main", "python", False)])
def test_report_entry_convention(name: str, kind: str, expected: bool) -> None:
    assert is_report_entry(name, kind) is expected


def steps(plan, key: str) -> list[str]:
    return next(p for p in plan.projects if p.key == key).as_dict()["steps"]


def test_main_plans_publish_and_reports_in_dependency_order(workspace: Path) -> None:
    plan = make_plan(workspace, since=None)
    assert plan.on_main and plan.branch == "main"
    keys = [p.key for p in plan.projects]
    assert keys.index(f"default/{LIB}") < keys.index("default/consumer")
    assert steps(plan, f"default/{LIB}") == ["validate", "setup", "test:test", "build",
                                             "publish"]
    assert steps(plan, "default/consumer") == ["validate", "setup", "test:tests"]
    assert steps(plan, "default/weekly-report") == ["validate", "setup", "test:test-quick",
                                                    "report:report"]


def test_off_main_there_is_nothing_to_publish_or_render(workspace: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    assert "publish" not in steps(make_plan(workspace, since=None, branch="topic"),
                                  f"default/{LIB}")
    monkeypatch.setenv("BRAIN_CI_MAIN_BRANCH", "topic")
    assert "publish" in steps(make_plan(workspace, since=None, branch="topic"),
                              f"default/{LIB}")


@pytest.mark.parametrize("since", ["", "0" * 40])
def test_no_base_means_every_project(workspace: Path, since: str) -> None:
    plan = make_plan(workspace, since=since)
    assert plan.since is None
    assert all(p.skipped is None for p in plan.projects)


def test_an_invalid_spec_fails_the_run(workspace: Path, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from tests.ci.conftest import ci

    write(workspace, "reports/weekly/onebrain.yml", "name: weekly-report\nversion: 0.1.0\n"
          "entry_points:\n  report:\n    type: bash\n    command: echo\n")
    commit_all(workspace, "fine")
    write(workspace, "reports/weekly/onebrain.yml", "name: weekly-report\nversion: [oops]\n")
    git(workspace, "add", "-A")
    plan = make_plan(workspace, since="HEAD")
    # An invalid spec leaves the index; validate reports it as a problem.
    assert plan.problems
    assert all(p.skipped for p in plan.projects if p.key != "default/weekly-report")
    junit = tmp_path / "junit.xml"
    done = ci(workspace, "--since", "HEAD", "--branch", "topic", "--junit", str(junit))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "version" in done.stderr  # the problem, located
    (failure,) = ET.parse(junit).getroot().findall("testsuite[@name='workspace']/testcase/failure")
    assert "onebrain.yml" in (failure.text or "")
