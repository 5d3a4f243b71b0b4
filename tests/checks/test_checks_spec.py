"""The `checks:` of an entry point in onebrain.yml: every mistake a located validate error,
what the checks add to the environment, and a property test of the inline schema parser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.checks import check_requirements, declared_checks
from brain.spec.loader import problems_for
from tests.conftest import Result

HEAD = """\
name: checked
version: 0.1.0
entry_points:
  main:
    type: python
    script: run.py
    inputs: [data/in.csv]
    outputs: [out/result.parquet]
    checks:
"""


def _validate(brain: Callable[..., Result], make_project: Callable[..., Path],
              checks: str) -> Result:
    root = make_project({"onebrain.yml": HEAD + checks, "run.py": ""})
    return brain("validate", str(root))


@pytest.mark.parametrize(("checks", "expected"), [
    ("      - table: data/in.csv\n        columns:\n          id: {unique: 'yes'}\n",
     "onebrain.yml:12:24: entry_points.main.checks.0.columns.id.unique: expected true or "
     "false, got 'yes'"),
    ("      - table: data/in.csv\n        columns:\n          id: {min: abc}\n",
     "onebrain.yml:12:21: entry_points.main.checks.0.columns.id.min: expected a number, got "
     "'abc'"),
    ("      - table: data/in.csv\n        columns: [id, price]\n",
     "onebrain.yml:11:18: entry_points.main.checks.0.columns: expected a mapping"),
    ("      - table: data/in.csv\n        columns:\n          id: {dtype: integer64}\n",
     "onebrain.yml:12:23: entry_points.main.checks.0.columns.id.dtype: expected one of 'int', "),
    ("      - table: data/in.csv\n        columns:\n          id: {regex: '('}\n",
     "onebrain.yml:12:23: entry_points.main.checks.0.columns.id.regex: not a regular "
     "expression"),
    ("      - table: data/in.json\n        columns: {id: {}}\n",
     "onebrain.yml:10:16: entry_points.main.checks.0.table: 'data/in.json' is not a CSV or "
     "Parquet file"),
    ("      - table: data/in.csv\n",
     "onebrain.yml:10:9: entry_points.main.checks.0: a table check needs 'columns:'"),
    ("      - {table: data/in.csv, schema: s.yml, columns: {id: {}}}\n",
     "onebrain.yml:10:38: entry_points.main.checks.0.schema: give either 'columns' or "
     "'schema', not both"),
    ("      - {table: data/other.csv, columns: {id: {}}}\n",
     "onebrain.yml:10:17: entry_points.main.checks.0.table: 'data/other.csv' is neither in "
     "'inputs' nor in 'outputs'"),
    ("      - {table: data/in.csv, schema: ../schemas/x.yml}\n",
     "onebrain.yml:10:38: entry_points.main.checks.0.schema: '../schemas/x.yml' must stay "
     "inside the project"),
    ("      - {table: /etc/data.csv, columns: {id: {}}, when: before}\n",
     "onebrain.yml:10:17: entry_points.main.checks.0.table: '/etc/data.csv' must be a path "
     "inside the project"),
    ("      - {tests: checks/test_data.py, columns: {id: {}}}\n",
     "onebrain.yml:10:47: entry_points.main.checks.0.columns: 'columns' applies to a table "
     "check, not to tests"),
    ("      - {tests: checks/data.txt}\n",
     "onebrain.yml:10:17: entry_points.main.checks.0.tests: 'checks/data.txt' is not a Python "
     "test module"),
    ("      - {table: data/in.csv, columns: {id: {min: 5, max: 1}}}\n",
     "onebrain.yml:10:39: entry_points.main.checks.0.columns: column 'id': min (5.0) is above "
     "max (1.0)"),
    ("      - {table: data/in.csv, columns: {id: {}}, when: later}\n",
     "onebrain.yml:10:55: entry_points.main.checks.0.when: expected one of 'before' or "
     "'after', got 'later'"),
    ("      - {table: data/in.csv, colums: {id: {}}}\n",
     "onebrain.yml:10:30: entry_points.main.checks.0.colums: unknown key 'colums'"),
])
def test_every_mistake_in_checks_is_a_located_error(
        brain: Callable[..., Result], make_project: Callable[..., Path], checks: str,
        expected: str) -> None:
    done = _validate(brain, make_project, checks)
    assert done.exit_code == 2, done.output
    assert expected in done.output


def test_valid_checks_validate(brain: Callable[..., Result],
                               make_project: Callable[..., Path]) -> None:
    done = _validate(brain, make_project, (
        "      - table: data/in.csv\n        columns:\n"
        "          id: {dtype: int, unique: true}\n"
        "          when: {dtype: datetime, coerce: true, nullable: true}\n"
        "          city: {isin: [Paris, Lyon], regex: '^[A-Z]'}\n"
        "      - {table: out/result.parquet, schema: 'schemas/out.py:OutSchema'}\n"
        "      - {tests: checks/test_data.py, when: before}\n"))
    assert done.exit_code == 0, done.output


def _items(checks: list[dict[str, Any]]) -> list[Any]:
    return declared_checks(checks, ("data/in.csv",), ("out/result.parquet",))


def test_what_the_checks_add_to_the_environment() -> None:
    inline = _items([{"table": "data/in.csv", "columns": {"id": {}}}])
    assert check_requirements(inline, []) == ["pandas==2.2.3", "pandera[pandas]==0.26.1"]
    parquet = _items([{"table": "out/result.parquet", "schema": "s.yml"},
                      {"table": "data/in.csv", "columns": {"id": {}}},
                      {"tests": "checks/test_data.py"}])
    assert check_requirements(parquet, []) == [
        "pandas==2.2.3", "pandera[io,pandas]==0.26.1", "pyarrow==21.0.0", "pytest==8.3.5"]
    # The user's own pin wins.
    assert check_requirements(parquet, ["pandas>=2.0", "PyArrow==20.0.0"]) == [
        "pandera[io,pandas]==0.26.1", "pytest==8.3.5"]
    assert [item.when for item in parquet] == ["after", "before", "after"]


# -- the inline schema parser, property-tested -------------------------------------------

_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0,
                 max_size=12)
_anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                      _names, st.lists(st.integers(), max_size=3))
_rules = st.dictionaries(
    st.sampled_from(["dtype", "nullable", "unique", "required", "coerce", "min", "max",
                     "isin", "regex", "typo"]),
    st.one_of(_anything, st.sampled_from(["int", "float", "str", "datetime", "^[a-z]+$"])),
    max_size=5)
_checks = st.lists(st.fixed_dictionaries(
    {"table": st.sampled_from(["data/in.csv", "out/result.parquet", "x.json", "../up.csv"])},
    optional={"columns": st.one_of(st.dictionaries(_names, _rules, max_size=4), _anything),
              "strict": _anything, "when": st.sampled_from(["before", "after", "never"])}),
    max_size=3)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_checks)
def test_inline_checks_parse_or_fail_located_never_crash(tmp_path: Path,
                                                         checks: list[dict[str, Any]]) -> None:
    spec = yaml.safe_load(HEAD + "      []\n")
    spec["entry_points"]["main"]["checks"] = checks
    spec_file = tmp_path / "onebrain.yml"
    spec_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    problems, project = problems_for(spec_file)
    if problems:
        assert project is None
        for problem in problems:  # each one located, inside the checks it is about
            line = problem.format("onebrain.yml")
            assert line.startswith("onebrain.yml:")
            assert "entry_points.main.checks" in line
        return
    assert project is not None
    entry = project.spec.entry_points["main"]
    items = _items([check.as_json() for check in entry.checks])
    assert len(items) == len(checks)
    for item, declared in zip(items, checks, strict=True):
        assert item.kind == "table" and item.target == declared["table"]
        assert dict(item.columns or {}).keys() == declared["columns"].keys()
        assert item.when in ("before", "after")
