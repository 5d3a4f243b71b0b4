"""Command rendering: sandboxed, strict, every value shell-quoted, the rest appended."""

from __future__ import annotations

import shlex
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.render import TemplateProblem, option_arguments, referenced_names, render_command

HOSTILE = ["0.5; touch SENTINEL", "$(touch SENTINEL)", "`touch SENTINEL`", "it's \"quoted\"",
           "line1\nline2", "-rf", "ünï ☃ 日本", "a=b", "*", "~", "\\", ""]


@pytest.mark.parametrize("value", HOSTILE)
def test_substituted_values_split_back_verbatim(value: str) -> None:
    rendered = render_command("python dump.py {{ v }}", {"v": value})
    assert shlex.split(rendered) == ["python", "dump.py", value]


def test_unreferenced_parameters_are_appended() -> None:
    rendered = render_command("python src/input_data.py", {"ds": date(2022, 1, 1)})
    assert rendered == "python src/input_data.py --ds 2022-01-01"


def test_appended_leading_dash_value_stays_one_argument() -> None:
    rendered = render_command("prog", {"x": "-rf", "y": "a b"})
    assert shlex.split(rendered) == ["prog", "--x=-rf", "--y", "a b"]
    assert option_arguments({"flag": True, "n": -3}, ["flag", "n"]) == [
        "--flag", "true", "--n=-3"]


def test_filters_apply_before_quoting() -> None:
    assert render_command("fit {{ alpha | round(1) }}", {"alpha": 0.26}) == "fit 0.3"
    assert render_command("echo {{ name | upper }}", {"name": "a b"}) == "echo 'A B'"


def test_literal_braces_can_be_escaped() -> None:
    assert shlex.split(render_command("echo {{ '{{' }}x{% raw %}}}{% endraw %}", {})) == [
        "echo", "{{x}}"]


def test_referenced_names() -> None:
    assert referenced_names("a {{ x }} {% if y %}{{ z }}{% endif %}") == {"x", "y", "z"}


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateProblem) as caught:
        referenced_names("ok\n{{ x ")
    assert caught.value.line == 2


def test_sandbox_refuses_attribute_escapes() -> None:
    with pytest.raises(TemplateProblem, match="unsafe template refused"):
        render_command("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_undefined_name_is_an_error() -> None:
    with pytest.raises(TemplateProblem, match="undefined"):
        render_command("{{ missing }}", {})


def jinja_only(command: str, values: dict[str, object]) -> str:
    """What the Jinja path renders for `command` (bypassing the fast path), or "error"."""
    from brain.render import _render

    try:
        return _render(command, values, bash=True, fast=False)
    except TemplateProblem:
        return "error"


@pytest.mark.parametrize("command", [
    "python fit.py --alpha {{ alpha }} --name {{name}}",
    "echo {{{ alpha }}",
    "echo {{ alpha }}}",
    "echo {{ alpha }}}}",
    "echo {{- alpha }}",
    "echo {{ alpha -}} x",
    "echo {% if alpha %}{{ alpha }}{% endif %}",
    "echo {# note #} {{ alpha }}",
    "echo {{ true }} {{ alpha }}",
    "echo {{\talpha }}",
    "line1 {{ alpha }}\r\nline2",
    "echo { alpha } {}",
    "echo %} #}",
    "python x.py\n",
    "",
])
def test_fast_path_renders_exactly_like_jinja(command: str) -> None:
    values: dict[str, object] = {"alpha": "0.5; touch X", "name": "it's",
                                 "extra": date(2022, 1, 1)}
    try:
        fast = render_command(command, values)
    except TemplateProblem:
        fast = "error"
    assert fast == jinja_only(command, values)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}%# -abx\n", max_size=24))
def test_fast_path_agrees_with_jinja_on_any_template(command: str) -> None:
    values: dict[str, object] = {"a": "$(x)", "b": 1.5, "x": ""}
    try:
        fast = render_command(command, values)
    except TemplateProblem:
        fast = "error"
    assert fast == jinja_only(command, values)
