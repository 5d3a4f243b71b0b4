"""A CI result as JUnit XML, the format CI systems display: one test suite per project, one
test case per step."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from brain.ci.runner import CiResult

_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)}


def junit_tree(result: CiResult) -> ET.ElementTree:
    """The JUnit document of `result`; projects skipped whole are one skipped case each."""
    suites = ET.Element("testsuites", name="brain ci")
    total = failures = skipped = 0
    seconds = 0.0
    for project in result.plan.projects:
        steps = [s for s in result.steps if s.project == project.key]
        suite = ET.SubElement(suites, "testsuite", name=project.key)
        if project.skipped is not None:
            case = ET.SubElement(suite, "testcase", classname=project.key, name="ci", time="0")
            ET.SubElement(case, "skipped", message=_clean(project.skipped))
        for step in steps:
            case = ET.SubElement(suite, "testcase", classname=project.key,
                                 name=step.step.label, time=f"{step.seconds:.3f}")
            if step.status == "failed":
                failure = ET.SubElement(case, "failure", message=_clean(step.note),
                                        type=step.step.kind)
                failure.text = _clean(step.output)
            elif step.status == "skipped":
                ET.SubElement(case, "skipped", message=_clean(step.note))
            elif step.output:
                ET.SubElement(case, "system-out").text = _clean(step.output)
        cases = suite.findall("testcase")
        suite_failures = len(suite.findall("testcase/failure"))
        suite_skipped = len(suite.findall("testcase/skipped"))
        suite_seconds = sum(s.seconds for s in steps)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(suite_failures))
        suite.set("errors", "0")
        suite.set("skipped", str(suite_skipped))
        suite.set("time", f"{suite_seconds:.3f}")
        total, failures = total + len(cases), failures + suite_failures
        skipped, seconds = skipped + suite_skipped, seconds + suite_seconds
    if result.plan.problems:  # specs that do not load are in no project's suite
        suite = ET.SubElement(suites, "testsuite", name="workspace", tests="1", failures="1",
                              errors="0", skipped="0", time="0")
        case = ET.SubElement(suite, "testcase", classname="workspace", name="specs", time="0")
        failure = ET.SubElement(case, "failure", type="validate",
                                message=f"{len(result.plan.problems)} invalid spec(s)")
        failure.text = _clean("\n".join(result.plan.problems))
        total, failures = total + 1, failures + 1
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", "0")
    suites.set("skipped", str(skipped))
    suites.set("time", f"{seconds:.3f}")
    return ET.ElementTree(suites)


def write_junit(result: CiResult, path: Path) -> None:
    """Write the JUnit file atomically."""
    from brain.statefs import write_atomic

    root = junit_tree(result).getroot()
    assert root is not None  # junit_tree always builds a root
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    write_atomic(path, data)


def _clean(text: str) -> str:
    """`text` without the control characters XML 1.0 cannot hold (a test's raw output)."""
    return text.translate(_CONTROL)
