"""The hub's pages without a server: phase pills, failure lines, form rules, escaping."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from brain.share.history import Launch
from brain.share.hub_data import field_errors
from brain.share.launch import ParameterField, ProjectPage
from brain.share.pages import (
    PHASES,
    failure_of,
    form_field,
    index_page,
    meaningful_lines,
    phase_states,
    project_page,
    when,
)
from brain.share.url import make_link

SHA = "a" * 40


def launch(**changes: object) -> Launch:
    base = dict(id="0123456789abcdef", created_at=1_700_000_000.0, status="failed",
                link="http://hub/launch", repo="file:///r", commit_sha=SHA, path="", entry="main",
                params={}, log_path="/nonexistent/log.txt")
    return Launch(**{**base, **changes})  # type: ignore[arg-type]


def test_the_phase_where_a_launch_failed_is_red_and_the_rest_skipped() -> None:
    assert phase_states("failed", "environment") == [
        ("fetching", "done"), ("environment", "failed"), ("running", "skipped"),
        ("done", "skipped")]
    # brain launch says `done` after a failed run too: the run is where it went wrong.
    assert dict(phase_states("failed", "done"))["running"] == "failed"
    assert dict(phase_states("failed", None))["fetching"] == "failed"  # before any event
    assert [state for _, state in phase_states("succeeded", "done")] == ["done"] * 4
    assert "failed" not in dict(phase_states("stopped", "running")).values()
    assert dict(phase_states("running", "running"))["running"] == "current"


@given(st.sampled_from(["failed", "timed-out", "interrupted", "unknown"]),
       st.sampled_from([None, *PHASES]))
def test_a_finished_failure_has_exactly_one_red_pill(status: str, phase: str | None) -> None:
    states = [state for _, state in phase_states(status, phase)]
    assert states.count("failed") == 1 and "current" not in states


def test_failure_lines_are_the_traceback_end_with_project_paths() -> None:
    root = "/srv/hub/launches/x/sandbox/repo/projects/hello"
    log = (f"brain: phase running\nloading\nTraceback (most recent call last):\n"
           f'  File "{root}/crash.py", line 4, in <module>\n    raise ValueError(x)\n'
           "ValueError: the input has 0 rows\nbrain: run failed\n")
    lines = meaningful_lines(log, [root])
    assert lines == ['  File "crash.py", line 4, in <module>', "ValueError: the input has 0 rows"]
    failure = failure_of(launch(exit_code=1, message=f"{root}/crash.py failed"), log, [root])
    assert failure is not None and failure.sentence == "crash.py failed"
    assert failure_of(launch(status="succeeded"), log, [root]) is None
    assert meaningful_lines("\x1b[31mred error\x1b[0m\n", []) == ["red error"]


def test_form_fields_carry_the_servers_rules() -> None:
    alpha = form_field(ParameterField("alpha", "float", "0.5", help="How much", min=0, max=1))
    assert alpha.label == "How much" and alpha.rule == "A number from 0 to 1"
    assert alpha.attributes == {"step": "any", "min": "0", "max": "1"}
    day = form_field(ParameterField("ds", "date", "2024-01-01", required=True))
    assert day.label == "Ds" and day.required and "YYYY-MM-DD" in day.rule
    assert re.fullmatch(day.attributes["pattern"], "2024-01-31")
    count = form_field(ParameterField("n", "int", "3", min=1))
    assert count.attributes["step"] == "1" and count.rule == "A whole number, at least 1"
    assert form_field(ParameterField("on", "bool", "true", required=True)).required is False
    settings = form_field(ParameterField("settings", "json", '{"a":[1,2]}'))
    assert settings.rule == 'JSON, such as [1, 2] or {"layers": 3}'
    assert settings.input_type == "text" and settings.value == '{"a":[1,2]}'


def test_server_errors_name_their_fields() -> None:
    message = ("entry point 'main': parameter 'alpha': 7.0 is above the maximum 1; "
               "parameter 'ds': expected an ISO date (YYYY-MM-DD), got 'x'")
    assert field_errors(message) == {"alpha": "7.0 is above the maximum 1",
                                     "ds": "expected an ISO date (YYYY-MM-DD), got 'x'"}


def test_values_from_links_and_specs_are_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    page = ProjectPage(name=hostile, namespace="n", version="1", description=hostile,
                       entry="main", entry_type="bash",
                       fields=[ParameterField("x", "str", "'><img src=x onerror=alert(1)>",
                                              help=hostile)])
    link = make_link("file:///r", SHA, params={"x": "</script><script>alert(2)</script>"})
    text = project_page(link, page)
    assert hostile not in text and "<img src=x" not in text
    assert "</script><script>alert(2)" not in text  # data for scripts is JSON, escaped
    listing = index_page([(launch(repo=hostile), {})])
    assert "<script>alert(1)" not in listing


def test_times_name_their_zone() -> None:
    shown = when(1_700_000_000.0)
    assert re.search(r"[+-]\d\d:\d\d$", shown.iso) and re.search(r" \S+$", shown.text)
