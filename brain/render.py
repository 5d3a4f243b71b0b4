"""Command templates: a bounded Jinja sandbox where every substituted value is one word.

Each `{{ ... }}` output is shell-quoted, after filters ran, so a template can still use
filters (`{{ alpha | round(2) }}`). Quoting keeps a value one word only in a plain word, so
the command is first rendered with a marker per value and read the way bash (`bash` entries)
or `shlex.split` (`shell` and `app` entries) will read it (`brain.shell_context`): a value
inside the command's own `"..."`, `'...'` or `$'...'` is escaped for those quotes instead; in
a comment, a here-document, backticks, arithmetic... it is refused, here at run time and by
`brain validate` (see `brain.spec.checks`). A literal `{{` is written `{{ '{{' }}` or inside
`{% raw %}`.

Most commands only substitute names (`--alpha {{ alpha }}`); those are rendered without
importing Jinja (it costs `brain run` ~35 ms), with the same output Jinja gives them.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_COMMAND_CHARS = 1_000_000
"""Longest rendered command (Linux refuses one argument past 128 KiB anyway)."""


class TemplateProblem(ValueError):
    """A template that does not parse or render; `line` is 1-based within the template."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _text(value: Any) -> str:
    from brain.params import format_value

    if value is None:
        return ""
    return value if isinstance(value, str) else format_value(value)


class _Marks:
    """The values of one render, each standing in the text as a unique marker."""

    def __init__(self) -> None:
        self.prefix = f"brainvalue{os.urandom(8).hex()}n"
        self.pattern = re.compile(re.escape(self.prefix) + r"(\d+)z")
        self.texts: list[str] = []

    def add(self, text: str) -> str:
        # a value that holds markers (a `{% set %}` block captured them) gets their text back
        text = self.pattern.sub(lambda match: self.texts[int(match.group(1))], text)
        self.texts.append(text)
        return f"{self.prefix}{len(self.texts) - 1}z"


_MARKS: ContextVar[_Marks] = ContextVar("brain_render_marks")


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import pass_context

    from brain.jinja_sandbox import bounded_environment

    # pass_context keeps Jinja from finalizing constants when it compiles: `{{ '{{' }}` is
    # template text, and a marker belongs to one render, not to the cached template.
    @pass_context
    def finalize(context: Any, value: Any) -> str:
        return _MARKS.get().add(_text(value))

    return bounded_environment(finalize=finalize, keep_trailing_newline=False)


_PLACEHOLDER = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}")
# Names Jinja reads as literals, not variables.
_JINJA_LITERALS = frozenset({"true", "false", "none", "True", "False", "None"})


def _simple_names(command: str) -> list[str] | None:
    """The names of a template made only of text and `{{ name }}`, else None (use Jinja)."""
    pieces = _PLACEHOLDER.split(command)  # text, name, text, name, ..., text
    texts, names = pieces[0::2], pieces[1::2]
    for text in texts:
        # Anything else Jinja would read (blocks, comments, expressions, whitespace control)
        # or rewrite (\r newlines are normalised) goes through Jinja itself.
        if any(mark in text for mark in ("{{", "}}", "{%", "%}", "{#", "#}", "\r")):
            return None
        if text.endswith("{"):  # `{{{ x }}`: Jinja reads the first `{{`
            return None
    if any(name in _JINJA_LITERALS for name in names):
        return None
    return names


@lru_cache(maxsize=64)
def _compiled(command: str) -> Template:
    from brain.jinja_sandbox import TemplateFailure, compile_template

    try:
        return compile_template(_environment(), command)
    except TemplateFailure as failure:
        raise TemplateProblem(str(failure), failure.line) from None


def referenced_names(command: str) -> set[str]:
    """Names a command template reads; raises TemplateProblem on a syntax error."""
    simple = _simple_names(command)
    if simple is not None:
        return set(simple)
    from brain.jinja_sandbox import TemplateFailure, names_read, parse

    try:
        return names_read(parse(_environment(), command))
    except TemplateFailure as failure:
        raise TemplateProblem(str(failure), failure.line) from None


def render_command(command: str, values: Mapping[str, Any], *, bash: bool = True) -> str:
    """Render `command` with every value shell-quoted; unreferenced values are appended.

    `bash` says how the command is read (`bash -c`, or else `shlex.split`); a value that
    would not be one plain word there raises TemplateProblem.
    """
    return _render(command, values, bash=bash, fast=True)


def _render(command: str, values: Mapping[str, Any], *, bash: bool, fast: bool) -> str:
    """render_command; `fast` False always goes through Jinja (tests compare the two)."""
    marks = _Marks()
    simple = _simple_names(command) if fast else None
    if simple is not None and all(name in values for name in simple):
        referenced = set(simple)
        marked = _PLACEHOLDER.sub(lambda match: marks.add(_text(values[match.group(1)])),
                                  command)
    else:
        referenced = referenced_names(command)
        marked = _render_with_jinja(command, values, marks)
    # Appended `--name value` pairs are placed like any value: after `eval x` or an open
    # quote they would be read again too.
    extra = [name for name in values if name not in referenced]
    tail: list[str] = []
    for name in extra:
        parts = option_arguments(values, [name])
        if len(parts) == 1:  # `--name=value` (a value that starts with `-`)
            tail.append(f"--{name}=" + marks.add(parts[0][len(name) + 3:]))
        else:
            tail += [parts[0], marks.add(parts[1])]
    marked = " ".join([marked.strip(), *tail]).strip()
    return _place_values(marked, marks, bash=bash, command=command)


def _render_with_jinja(command: str, values: Mapping[str, Any], marks: _Marks) -> str:
    from brain.jinja_sandbox import TemplateFailure, render_stream

    token = _MARKS.set(marks)
    try:
        return render_stream(_compiled(command), values, max_chars=MAX_COMMAND_CHARS)
    except TemplateFailure as failure:
        raise TemplateProblem(str(failure), failure.line) from None
    finally:
        _MARKS.reset(token)


def _place_values(marked: str, marks: _Marks, *, bash: bool, command: str) -> str:
    """`marked` with each marker replaced by its quoted value, refusing unsafe places."""
    from brain.shell_context import QUOTED, escape_for, placements

    found = list(marks.pattern.finditer(marked))
    if not found:
        return marked
    pieces: list[str] = []
    end = 0
    for match, place in zip(found, placements(marked, [m.span() for m in found], bash=bash),
                            strict=True):
        text = marks.texts[int(match.group(1))]
        if place is None:
            written = shlex.quote(text)
        elif place in QUOTED:
            written = escape_for(place, text, bash=bash)
        else:
            raise TemplateProblem(_placement_message(command, place), None)
        pieces += [marked[end:match.start()], written]
        end = match.end()
    pieces.append(marked[end:])
    if sum(len(piece) for piece in pieces) > MAX_COMMAND_CHARS:
        raise TemplateProblem(f"the command renders more than {MAX_COMMAND_CHARS} characters",
                              None)
    return "".join(pieces)


def _placement_message(command: str, reason: str) -> str:
    names = [m.group(0) for m in re.finditer(r"\{\{.*?\}\}", command, re.DOTALL)]
    shown = names[0] if len(set(names)) == 1 else "each {{ ... }} value"
    return (f"a substituted value lands {reason}, where bash would read it again as shell "
            f"syntax; use {shown} as a plain word or inside \"...\" (brain quotes it)")


def append_arguments(values: Mapping[str, Any], names: list[str]) -> list[str]:
    """`--name value` pairs (shell-quoted) for the given parameter names."""
    return [shlex.quote(part) for part in option_arguments(values, names)]


def option_arguments(values: Mapping[str, Any], names: list[str]) -> list[str]:
    """`--name value` pairs as argv items (unquoted) for the given parameter names.

    A value that starts with `-` is joined as `--name=value`: argparse and click would
    otherwise read `--name -x` as two options and refuse it.
    """
    from brain.params import format_value

    parts: list[str] = []
    for name in names:
        value = values[name]
        text = "" if value is None else value if isinstance(value, str) else format_value(value)
        if text.startswith("-"):
            parts.append(f"--{name}={text}")
        else:
            parts += [f"--{name}", text]
    return parts
