"""A notebook report's provenance header lists the run's data checks (what passed, what
failed and where), escaped like everything else in the header."""

from __future__ import annotations

from brain.notebooks.report_page import header

CHECKS = [
    {"label": "data/train.csv (inline schema)", "kind": "table", "when": "before",
     "status": "passed", "failure_count": 0, "failures": [], "rows": 1000},
    {"label": "out/pred.parquet (schemas/out.yml)", "kind": "table", "when": "after",
     "status": "failed", "failure_count": 3, "rows": 10,
     "failures": [{"column": "score", "check": "less_than_or_equal_to(1.0)", "value": 1.5,
                   "index": 2},
                  {"column": "<b>id</b>", "check": "field_uniqueness", "value": 4,
                   "index": 7}]},
]


def test_the_report_header_lists_the_data_checks() -> None:
    page = header({"project": "default/x", "entry_point": "report", "run_id": "r1",
                   "status": "failed", "checks": CHECKS})
    assert 'id="brain-checks"' in page
    assert "<td>data/train.csv (inline schema)</td><td>before the run</td><td>passed</td>" \
        in page
    assert ("3 failing value(s): &lt;b&gt;id&lt;/b&gt;: field_uniqueness; "
            "score: less_than_or_equal_to(1.0)") in page
    assert "<b>id</b>" not in page  # a column name is data, never markup


def test_a_report_without_checks_has_no_checks_table() -> None:
    assert "brain-checks" not in header({"run_id": "r1", "checks": "not a list"})
    assert "brain-checks" not in header({"run_id": "r1"})
