"""What onebrain.schema.json says beyond field types, checked with the `jsonschema` package's
Draft 2020-12 validator (strict, as ajv is): type-specific required fields, choices, PEP 440."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from brain.spec.models import PEP440_PATTERN

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "onebrain.schema.json").read_text())


def _errors(spec: dict[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    return [error.message for error in validator.iter_errors(spec)]


def _entry(**entry: Any) -> dict[str, Any]:
    return {"name": "demo", "version": "0.1.0", "entry_points": {"main": entry}}


@pytest.mark.parametrize(("spec", "wrong"), [
    (_entry(type="notebook"), "'notebook' is a required property"),
    (_entry(type="python"), "is not valid under any of the given schemas"),
    (_entry(type="python", script="a.py", module="a"), "is valid under each of"),
    (_entry(command="x", parameters={"m": {"type": "choice"}}), "'choices' is a required"),
    (_entry(command="x", parameters={"m": {"type": "enum"}}), "'choices' is a required"),
    ({"name": "demo", "version": "latest"}, "does not match"),
])
def test_what_brain_rejects_the_schema_rejects(spec: dict[str, Any], wrong: str) -> None:
    errors = _errors(spec)
    assert any(wrong in error for error in errors), errors


@pytest.mark.parametrize("spec", [
    _entry(type="notebook", notebook="a.ipynb"),
    _entry(type="python", script="a.py"),
    _entry(type="python", module="pkg.main"),
    _entry(command="x", parameters={"m": {"type": "choice", "choices": ["a", "b"]}}),
    _entry(command="x"),  # shell, the default type
    {"name": "demo", "version": "1.0rc1+local.2"},
    {"name": "demo", "version": 1.0},  # a YAML number: brain keeps its text
])
def test_what_brain_accepts_the_schema_accepts(spec: dict[str, Any]) -> None:
    assert _errors(spec) == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.!+-_ vVaAbBcCrRdeEpPostilwxy", max_size=16))
def test_the_version_pattern_agrees_with_packaging(text: str) -> None:
    try:
        Version(text)
        valid = True
    except InvalidVersion:
        valid = False
    assert bool(re.search(PEP440_PATTERN, text)) is valid, text
