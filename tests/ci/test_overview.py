"""What the hub's CI pages say, from status records: tests in words, trends, and status files
of any shape read without an error (they are files on disk; the hub must not fall over)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.ci.overview import EntryTests, commit_view, project_commits, project_keys, trends

SHA = "a" * 40


def status(sha: str, results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"commit": sha, "projects": [{"key": "default/solo", "path": "solo"}],
            "results": results, "recorded_at": 1.0, **extra}


def step(kind: str, entry: str | None, state: str, **extra: Any) -> dict[str, Any]:
    return {"project": "default/solo", "kind": kind, "entry": entry, "status": state,
            "step": f"{kind}:{entry}" if entry else kind, "seconds": 0.5, **extra}


def test_tests_in_words() -> None:
    assert EntryTests(3, [], 0).words == "3 of 3 tests passed"
    assert EntryTests(1, [], 0).words == "1 of 1 test passed"
    assert EntryTests(1, ["unit"], 0).words == "1 of 2 tests failed: unit"
    assert EntryTests(1, [], 2).words == "1 of 3 tests passed (2 not run)"
    assert EntryTests(0, [], 0).words == "no tests"


def test_a_failed_test_is_named_and_fails_the_commit() -> None:
    view = commit_view(status(SHA, [step("test", "test-unit", "failed", note="exit 3"),
                                    step("test", "test-smoke", "passed")]), "default/solo")
    assert view is not None and view.status == "failed"
    assert view.tests.words == "1 of 2 tests failed: test-unit"


def test_a_trend_goes_oldest_to_newest_with_its_direction() -> None:
    statuses = [status(c * 40, [step("report", "report", "passed",
                                     metrics={"accuracy": value})])
                for c, value in (("c", 0.91), ("b", 0.85), ("a", 0.8))]  # newest first
    (trend,) = trends(project_commits(statuses, "default/solo"))
    assert [value for _, value in trend.values] == [0.8, 0.85, 0.91]
    assert trend.latest == "0.91 ↑"
    assert len(trend.points.split()) == 3
    huge = trends(project_commits([status(SHA, [step("report", "report", "passed", metrics={
        "loss": 1.7e308})]), status("b" * 40, [step("report", "report", "passed", metrics={
            "loss": -1.7e308})])], "default/solo"))[0]
    assert all(math.isfinite(x) and math.isfinite(y) for x, y, _ in huge.dots)
    odd = status("d" * 40, [step("report", "report", "passed", metrics={
        "accuracy": float("nan"), "loss": float("inf"), "flag": True})])
    assert commit_view(odd, "default/solo").metrics == {}  # type: ignore[union-attr]
    falling = trends(project_commits(statuses[1:][::-1], "default/solo"))[0]
    assert falling.latest == "0.8 ↓"


def test_a_skipped_project_is_not_listed_for_that_commit() -> None:
    skipped = {"commit": SHA, "results": [],
               "projects": [{"key": "default/solo", "path": "solo", "skipped": "not affected"}]}
    assert project_commits([skipped], "default/solo") == []
    assert project_keys([skipped]) == []


# A value of any JSON type, kept small: the shapes matter here, not the sizes.
JSON = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) \
    | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=4), st.integers(),
                                                            max_size=2)
METRICS = JSON | st.dictionaries(st.text(max_size=6), JSON, max_size=3)


@settings(suppress_health_check=[HealthCheck.too_slow])  # a busy machine draws slowly
@given(st.lists(st.fixed_dictionaries(
    {"commit": st.sampled_from([SHA, "b" * 40, "..", 7, None]),
     "projects": st.lists(st.fixed_dictionaries({"key": st.sampled_from(
         ["default/solo", "../x", "x", 3]), "path": JSON, "skipped": JSON}), max_size=2),
     "results": st.lists(st.fixed_dictionaries({
         "project": st.sampled_from(["default/solo", None]), "kind": JSON, "entry": JSON,
         "status": st.sampled_from(["passed", "failed", "skipped", None]), "step": JSON,
         "seconds": JSON, "note": JSON, "metrics": METRICS, "output_tail": JSON}), max_size=3),
     "subject": JSON, "recorded_at": JSON, "ref": JSON, "repository": JSON}), max_size=3))
def test_any_status_file_shape_is_read_without_an_error(statuses: list[dict[str, Any]]) -> None:
    commits = project_commits(statuses, "default/solo")
    for found in trends(commits):
        for x, y, _ in found.dots:
            assert math.isfinite(x) and math.isfinite(y)
    for _, _, latest in project_keys(statuses):
        assert latest.tests.words
