"""Names are safe to print and to use as paths: one grammar for entry point, project and
parameter names (located errors, exit 2), and every line or table cell the CLI prints
escapes control, bidi and zero-width characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.cli.output import printable
from brain.spec.models import ENTRY_NAME_PATTERN, entry_name_problem
from tests.conftest import Result

HEAD = "name: names\nversion: 0.1.0\n"
# Raw terminal bytes that must never reach the screen: ESC, BEL, CR, bidi, zero-width.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]")


@pytest.mark.parametrize(("key", "why"), [
    (r'"run\e[2Jnow"', "control character (U+001B)"),
    (r'"fit\u202Edom"', "bidirectional override (U+202E)"),
    (r'"fit\u2067x"', "bidirectional override (U+2067)"),
    (r'"zero\u200Bwidth"', "zero-width character (U+200B)"),
    (r'"a\tb"', "control character (U+0009)"),
    ('"../../etc"', "path separator ('/')"),
    ('"a/b"', "path separator ('/')"),
    (r'"a\\b"', "path separator ('\\\\')"),
    ('".hidden"', "use letters, digits"),
    ('"trailing "', "use letters, digits"),
    ('"' + "x" * 65 + '"', "longer than 64"),
])
def test_entry_point_names_outside_the_grammar_are_located_errors(
        brain: Callable[..., Result], make_project: Callable[..., Path], key: str,
        why: str) -> None:
    root = make_project({"onebrain.yml": HEAD + f"entry_points:\n  {key}: {{command: echo}}\n"})
    result = brain("validate", str(root))
    assert result.exit_code == 2, result.output
    assert "onebrain.yml:4:3: entry_points." in result.stderr
    assert why in result.stderr, result.stderr
    assert not RAW.search(result.output.replace("\t", "")), repr(result.output)


@pytest.mark.parametrize("text", [
    HEAD.replace("names", '"names\\u202E"'),
    HEAD + 'namespace: "a/b"\n',
    HEAD + 'entry_points:\n  m:\n    command: echo\n    parameters:\n      "p\\u202E": {}\n',
    HEAD + 'entry_points:\n  m:\n    command: echo\n    parameters:\n      "p-q": {}\n',
    HEAD + 'entry_points:\n  m:\n    command: echo\n    parameters:\n      ' + "p" * 65 + ": {}\n",
])
def test_project_and_parameter_names_follow_their_grammar(
        brain: Callable[..., Result], make_project: Callable[..., Path], text: str) -> None:
    result = brain("validate", str(make_project({"onebrain.yml": text})))
    assert result.exit_code == 2, result.output
    assert not RAW.search(result.output.replace("\t", "")), repr(result.output)


def test_names_inside_the_grammar_are_accepted(brain: Callable[..., Result],
                                               make_project: Callable[..., Path]) -> None:
    root = make_project({"onebrain.yml": HEAD + (
        "entry_points:\n  fit models: {command: echo}\n  query_historical_data: "
        "{command: echo}\n  v1.2-b: {command: echo}\n  a: {command: echo}\n")})
    assert brain("validate", str(root)).exit_code == 0


def test_tables_and_lines_escape_user_text(brain: Callable[..., Result],
                                           make_project: Callable[..., Path]) -> None:
    hostile = r"\e[2J\e]0;pwned\a\u202Eevil\u200Bx\ttab\rcr"
    root = make_project({"onebrain.yml": HEAD + (
        f'description: "{hostile}"\ntags: ["{hostile}"]\n'
        "entry_points:\n  main:\n    command: echo {{ v }}\n"
        f'    description: "{hostile}"\n'
        f'    parameters:\n      v: {{type: str, default: "{hostile}", help: "{hostile}"}}\n')})
    for args in (["info", str(root)], ["list"], ["run", str(root), "--dry-run"]):
        result = brain(*args, cwd=root)
        assert result.exit_code == 0, (args, result.output)
        assert "\\x1b[2J" in result.output or "\\\\e" in result.output, (args, result.output)
        assert not RAW.search(result.output.replace("\t", "")), (args, repr(result.output))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_printable_output_never_holds_raw_control_characters(text: str) -> None:
    shown = printable(text, lines=False)
    assert all(char.isprintable() for char in shown)
    assert printable(shown, lines=False) == shown  # escaping is done once, stably


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=70))
def test_the_grammar_and_its_explanation_agree(name: str) -> None:
    valid = re.fullmatch(ENTRY_NAME_PATTERN, name) is not None
    assert (entry_name_problem(name) is None) == valid
    if valid:
        assert "/" not in name and "\\" not in name and all(c.isprintable() for c in name)
