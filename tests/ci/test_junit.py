"""The JUnit file: well-formed XML whatever a step printed, with counts that add up."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from brain.ci.junit import write_junit
from brain.ci.plan import CiPlan, ProjectPlan, Step
from brain.ci.runner import CiResult, StepResult


def result_with(output: str, note: str) -> CiResult:
    plan = CiPlan(Path("/ws"), "HEAD~1", "main", True, [
        ProjectPlan("ns/a", "a", "changed", [Step("validate"), Step("test", "test")]),
        ProjectPlan("ns/b", "b", "unchanged", skipped="not affected by the change")], [])
    return CiResult(plan, "f" * 40, [
        StepResult("ns/a", Step("validate"), "passed", 0.25, output=output),
        StepResult("ns/a", Step("test", "test"), "failed", 1.5, note, output)])


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=2000), st.text(max_size=200))
def test_any_output_makes_a_well_formed_file(tmp_path_factory, output: str, note: str) -> None:
    path = tmp_path_factory.mktemp("junit") / "junit.xml"
    write_junit(result_with(output, note), path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    suite_a, suite_b = root.findall("testsuite")
    assert suite_a.get("name") == "ns/a" and suite_a.get("time") == "1.750"
    (failure,) = suite_a.findall("testcase/failure")
    assert failure.get("type") == "test"
    assert suite_b.find("testcase/skipped").get("message") == "not affected by the change"
