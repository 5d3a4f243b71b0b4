"""`type: json` notebook parameters: papermill injects the parsed value (a dict, a list,
null), checked like every other type, at validate and on -P; only notebooks take them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.params import JsonValue, ParameterError, coerce
from brain.run_plan import ParameterSnapshot
from brain.runs.store import RunStore
from tests.conftest import Result
from tests.notebooks.conftest import run_brain


@pytest.mark.slow
def test_defaults_and_given_values_reach_the_notebook_parsed(notebook_project: Path) -> None:
    ran = run_brain("run", str(notebook_project), "-e", "configured")
    assert ran.returncode == 0, ran.stderr
    assert 'settings: dict {"layers": [8, 4], "dropout": null, "name": "x"}' in ran.stdout
    assert 'columns: list ["a", "b"]' in ran.stdout
    given_values = run_brain("run", str(notebook_project), "-e", "configured",
                             "-P", 'settings={"layers": [2], "rate": 0.5}', "-P", "columns=null")
    assert given_values.returncode == 0, given_values.stderr
    assert 'settings: dict {"layers": [2], "rate": 0.5}' in given_values.stdout
    assert "columns: NoneType null" in given_values.stdout
    record = RunStore().list()[0]
    assert record.parameters == {"settings": {"layers": [2], "rate": 0.5}, "columns": None}
    provenance = json.loads((notebook_project / ".brain" / "reports" / record.id
                             / "provenance.json").read_text())
    assert provenance["parameters"]["settings"] == {"layers": [2], "rate": 0.5}


@pytest.mark.parametrize("bad", ["{bad", "NaN", "[1, 2", "'single'", "plain words", ""])
def test_a_value_that_is_not_json_is_refused_before_anything_runs(
        brain: Callable[..., Result], make_project: Callable[..., Path], bad: str) -> None:
    root = make_project({"onebrain.yml": SPEC, "n.ipynb": "{}"})
    result = brain("run", str(root), "-e", "nb", "-P", f"settings={bad}")
    assert result.exit_code == 2, result.output
    assert "settings" in result.stderr and "expected JSON" in result.stderr
    assert RunStore().list() == []


def test_validate_checks_json_defaults_and_where_json_is_allowed(
        brain: Callable[..., Result], make_project: Callable[..., Path]) -> None:
    assert brain("validate", str(make_project({"onebrain.yml": SPEC, "n.ipynb": "{}"}))
                 ).exit_code == 0
    bad_default = SPEC.replace("default: {a: [1, 2]}", "default: 'not json'")
    result = brain("validate", str(make_project({"onebrain.yml": bad_default,
                                                 "n.ipynb": "{}"})))
    assert result.exit_code == 2 and "the default does not fit: expected JSON" in result.output
    elsewhere = SPEC + ("  script:\n    type: python\n    script: s.py\n    parameters:\n"
                        "      options: {type: json}\n")
    result = brain("validate", str(make_project({"onebrain.yml": elsewhere, "n.ipynb": "{}",
                                                 "s.py": ""})))
    assert result.exit_code == 2
    assert "a json parameter reaches notebook entry points only" in result.output
    assert "entry_points.script.parameters.options.type" in result.output


SPEC = """
name: jsonish
version: 0.1.0
entry_points:
  nb:
    type: notebook
    notebook: n.ipynb
    parameters:
      settings: {type: json, default: {a: [1, 2]}}
"""
JSON_PARAMETER = ParameterSnapshot(type="json")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=20)


@given(json_values)
def test_any_json_value_round_trips(value: Any) -> None:
    typed = coerce(JSON_PARAMETER, json.dumps(value))
    assert isinstance(typed, JsonValue) and typed.parsed == value
    if not isinstance(value, str):  # a YAML default, as loaded (text is read as JSON text)
        assert coerce(JSON_PARAMETER, value).parsed == value


@given(st.text(max_size=30))
def test_any_text_is_json_or_a_clear_error(text: str) -> None:
    try:
        typed = coerce(JSON_PARAMETER, text)
    except ParameterError as error:
        assert "expected JSON" in str(error) or "at most" in str(error)
        return
    assert isinstance(typed, JsonValue)
    parsed = typed.parsed
    assert not (isinstance(parsed, float) and not math.isfinite(parsed))


def test_huge_and_deep_values_are_refused() -> None:
    with pytest.raises(ParameterError, match="at most"):
        coerce(JSON_PARAMETER, "[" + "1," * 600_000 + "1]")
    with pytest.raises(ParameterError, match="expected JSON"):
        coerce(JSON_PARAMETER, "[" * 100_000 + "]" * 100_000)
