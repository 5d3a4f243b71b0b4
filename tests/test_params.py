"""Typed parameter coercion: every type, its checks, and the messages users see."""

from __future__ import annotations

from datetime import date

import pytest

from brain.errors import InvalidInput
from brain.params import ParameterError, coerce, format_value, parse_assignments, resolve
from brain.spec.models import Parameter


def p(**fields: object) -> Parameter:
    return Parameter.model_validate(fields)


@pytest.mark.parametrize(("param", "raw", "expected"), [
    (p(type="int"), "42", 42),
    (p(type="int"), " -3 ", -3),
    (p(type="int"), 7, 7),
    (p(type="float"), "0.5", 0.5),
    (p(type="float"), "-1e-3", -0.001),
    (p(type="float"), 2, 2.0),
    (p(type="bool"), "yes", True),
    (p(type="bool"), "False", False),
    (p(type="bool"), True, True),
    (p(type="date"), "2022-01-01", date(2022, 1, 1)),
    (p(type="date"), date(2022, 1, 1), date(2022, 1, 1)),
    (p(type="path"), "data/./train.csv", "data/train.csv"),
    (p(type="uri"), "s3://bucket/key", "s3://bucket/key"),
    (p(type="str"), "a=b=c", "a=b=c"),
    (p(type="str"), "", ""),
    (p(type="choice", choices=["fast", "full"]), "full", "full"),
    (p(type="choice", choices=[1, 2]), "2", 2),
    (p(type="float", allow_nan=True), "nan", pytest.approx(float("nan"), nan_ok=True)),
])
def test_coerce_accepts(param: Parameter, raw: object, expected: object) -> None:
    assert coerce(param, raw) == expected


@pytest.mark.parametrize(("param", "raw", "message"), [
    (p(type="int"), "1.5", "expected a whole number, got '1.5'"),
    (p(type="int"), "1_000", "expected a whole number"),
    (p(type="int"), "٣", "expected a whole number"),  # a non-ASCII digit int() would take
    (p(type="int"), True, "expected a whole number, got True"),
    (p(type="float"), "abc", "expected a number, got 'abc'"),
    (p(type="float"), "nan", "'nan' is not a finite number"),
    (p(type="float"), "-inf", "'-inf' is not a finite number"),
    (p(type="float"), "١.٥", "expected a number"),
    (p(type="float", min=0, max=1), "2", "2.0 is above the maximum 1"),
    (p(type="int", min=10), "3", "3 is below the minimum 10"),
    (p(type="bool"), "maybe", "expected true or false, got 'maybe'"),
    (p(type="date"), "01/02/2022", "expected an ISO date (YYYY-MM-DD), got '01/02/2022'"),
    (p(type="date"), "2022-02-30", "expected an ISO date"),
    (p(type="path"), "  ", "expected a path, got an empty value"),
    (p(type="uri"), "not a uri", "expected a URI"),
    (p(type="str"), "a\x00b", "cannot contain a NUL byte"),
    (p(type="str"), "\udcff", "is not valid UTF-8 text"),  # an undecodable byte from argv
    (p(type="choice", choices=["fast", "full"]), "slow", "expected one of fast, full, got 'slow'"),
])
def test_coerce_refuses(param: Parameter, raw: object, message: str) -> None:
    with pytest.raises(ParameterError, match=None) as caught:
        coerce(param, raw)
    assert message in str(caught.value)


def test_format_value() -> None:
    assert format_value(True) == "true"
    assert format_value(date(2022, 1, 1)) == "2022-01-01"
    assert format_value(0.5) == "0.5"


def test_parse_assignments_splits_on_first_equals() -> None:
    assert parse_assignments(["a=1", "expr=x=y", "empty="]) == {
        "a": "1", "expr": "x=y", "empty": ""}


@pytest.mark.parametrize("pair", ["novalue", "=1", " =1"])
def test_parse_assignments_refuses(pair: str) -> None:
    with pytest.raises(InvalidInput, match="is not in the form name=value"):
        parse_assignments([pair])


def test_resolve_reports_everything_at_once() -> None:
    declared = {"alpha": p(type="float", min=0, max=1), "ds": p(type="date"),
                "mode": p(type="choice", choices=["a", "b"], default="a")}
    with pytest.raises(InvalidInput) as caught:
        resolve(declared, {"alpah": "0.5", "alpha": "nan"}, entry="fit")
    message = caught.value.message
    assert "unknown parameter 'alpah' (did you mean 'alpha'?" in message
    assert "parameter 'alpha': 'nan' is not a finite number" in message
    assert "missing required ds (date)" in message


def test_resolve_reports_a_default_that_does_not_fit() -> None:
    with pytest.raises(InvalidInput, match="the default of 'n' does not fit"):
        resolve({"n": p(type="int", default="x")}, {}, entry="e")


def test_resolve_defaults_are_typed() -> None:
    declared = {"ds": p(type="date", default="2022-01-01"), "n": p(type="int", default=3)}
    assert resolve(declared, {}, entry="e") == {"ds": date(2022, 1, 1), "n": 3}
