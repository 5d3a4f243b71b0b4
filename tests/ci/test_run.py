"""`brain ci run` on a real three-project workspace with real commits, envs and index."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.ci.conftest import LIB, LIB_IMPORT, REPORT_SPEC, ci, ci_json, lib_spec, statuses, write
from tests.workspace.helpers import commit_all, git

pytestmark = pytest.mark.slow

LIB_KEY, CONSUMER, REPORT = f"default/{LIB}", "default/consumer", "default/weekly-report"


def index_files(home: Path) -> dict[str, str]:
    folder = home / "index" / "simple" / LIB
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.suffix in (".whl", ".gz")}


def test_main_publishes_tests_affected_only_and_never_overwrites(
        workspace: Path, isolated: Path) -> None:
    code, first = ci_json(workspace)
    assert code == 0, first
    done = statuses(first)
    assert done[(LIB_KEY, "publish")] == "passed"
    assert done[(REPORT, "report:report")] == "passed"
    assert done[(CONSUMER, "test:tests")] == "passed"
    # The consumer installed the wheel the library step had just published to the index.
    tail = next(r["output_tail"] for r in first["results"] if r["step"] == "test:tests")
    assert "LIB VALUE 0.1.0" in tail
    assert set(index_files(isolated)) == {"zz_brain_ci_lib-0.1.0-py3-none-any.whl",
                                          "zz_brain_ci_lib-0.1.0.tar.gz"}

    # A change to the report project alone: only it runs, the others are skipped and say so.
    write(workspace, "reports/weekly/notes.md", "a note\n")
    commit_all(workspace, "report notes")
    code, second = ci_json(workspace, "--since", "HEAD~1")
    assert code == 0, second
    assert {r["project"] for r in second["results"]} == {REPORT}
    skipped = {p["key"]: p["skipped"] for p in second["projects"]}
    assert skipped[LIB_KEY] == skipped[CONSUMER] == "not affected by the change"
    assert skipped[REPORT] is None

    # A new library version: the library and its dependent run, the report does not.
    write(workspace, "libs/lib/onebrain.yml", lib_spec("0.2.0"))
    write(workspace, f"libs/lib/src/{LIB_IMPORT}/__init__.py",
          "VALUE = '0.2.0'\n\n\ndef ok():\n    return True\n")
    commit_all(workspace, "lib 0.2.0")
    code, third = ci_json(workspace, "--since", "HEAD~1")
    assert code == 0, third
    assert {r["project"] for r in third["results"]} == {LIB_KEY, CONSUMER}
    consumer = next(p for p in third["projects"] if p["key"] == CONSUMER)
    assert consumer["reason"] == f"depends on {LIB_KEY}"
    assert statuses(third)[(LIB_KEY, "publish")] == "passed"
    published = index_files(isolated)
    assert "zz_brain_ci_lib-0.2.0-py3-none-any.whl" in published

    # Code changed, version not bumped: publishing is skipped with a note, nothing replaced.
    write(workspace, f"libs/lib/src/{LIB_IMPORT}/__init__.py",
          "VALUE = 'changed'\n\n\ndef ok():\n    return True\n")
    commit_all(workspace, "lib change without a bump")
    code, fourth = ci_json(workspace, "--since", "HEAD~1")
    assert code == 0, fourth
    publish = next(r for r in fourth["results"] if r["step"] == "publish")
    assert publish["status"] == "skipped"
    assert "already published" in publish["note"]
    assert index_files(isolated) == published


def test_a_failing_test_fails_the_run_with_a_junit_failure(workspace: Path,
                                                           tmp_path: Path) -> None:
    git(workspace, "checkout", "--quiet", "-b", "feature")
    write(workspace, "reports/weekly/onebrain.yml", REPORT_SPEC.replace(
        "command: 'true'", "command: echo 'assertion went wrong' && exit 3"))
    commit_all(workspace, "break the quick test")
    junit = tmp_path / "junit.xml"
    # --branch main: the report step is planned, and skipped because the test failed first.
    done = ci(workspace, "--since", "main", "--branch", "main", "--junit", str(junit))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ci failed" in done.stderr
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    assert root.get("failures") == "1"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {LIB_KEY, CONSUMER, REPORT}
    report = suites[REPORT]
    cases = {case.get("name"): case for case in report.findall("testcase")}
    assert list(cases) == ["validate", "setup", "test:test-quick", "report:report"]
    failure = cases["test:test-quick"].find("failure")
    assert failure is not None and failure.get("message") == "exit 3"
    assert "assertion went wrong" in (failure.text or "")
    assert cases["report:report"].find("skipped") is not None
    assert report.get("tests") == "4" and report.get("skipped") == "1"
    for key in (LIB_KEY, CONSUMER):  # unaffected: one skipped case each
        (case,) = suites[key].findall("testcase")
        assert case.find("skipped").get("message") == "not affected by the change"


def test_off_main_nothing_is_published_or_rendered(workspace: Path, isolated: Path) -> None:
    git(workspace, "checkout", "--quiet", "-b", "feature")
    write(workspace, f"libs/lib/src/{LIB_IMPORT}/extra.py", "X = 1\n")
    commit_all(workspace, "lib change on a branch")
    code, data = ci_json(workspace, "--since", "main")
    # The consumer cannot set up: its library was never published (nothing on main yet).
    assert code == 1
    steps = statuses(data)
    assert (LIB_KEY, "publish") not in steps
    assert steps[(LIB_KEY, "build")] == "passed"
    assert steps[(CONSUMER, "setup")] == "failed"
    assert steps[(CONSUMER, "test:tests")] == "skipped"
    assert not (isolated / "index" / "simple" / LIB).exists()


@pytest.mark.parametrize("ref", ["--upload-pack=evil", "a..b:c", "-x"])
def test_a_hostile_since_ref_is_refused(workspace: Path, ref: str) -> None:
    done = ci(workspace, f"--since={ref}")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "invalid" in done.stderr
