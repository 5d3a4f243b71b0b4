"""Command templates: sandboxed Jinja2 where every substituted value is shell-quoted.

The quoting happens in the environment's `finalize` hook, after filters ran, so a template
can still use filters (`{{ alpha | round(2) }}`) and a value can never become shell syntax.
A literal `{{` is written `{{ '{{' }}` or inside `{% raw %}`.

Most commands only substitute names (`--alpha {{ alpha }}`); those are rendered without
importing Jinja (it costs `brain run` ~35 ms), with the same output Jinja gives them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateProblem(ValueError):
    """A template that does not parse; `line` is 1-based within the template."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _quote(value: Any) -> str:
    from brain.params import format_value

    if value is None:
        return "''"
    return shlex.quote(format_value(value) if not isinstance(value, str) else value)


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, finalize=_quote, autoescape=False, keep_trailing_newline=False
    )


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


def referenced_names(command: str) -> set[str]:
    """Names a command template reads; raises TemplateProblem on a syntax error."""
    simple = _simple_names(command)
    if simple is not None:
        return set(simple)
    from jinja2 import TemplateSyntaxError, meta

    try:
        tree = _environment().parse(command)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"template syntax error: {error.message}", error.lineno) from None
    return set(meta.find_undeclared_variables(tree))


def render_command(command: str, values: Mapping[str, Any]) -> str:
    """Render `command` with every value shell-quoted; unreferenced values are appended."""
    simple = _simple_names(command)
    if simple is not None and all(name in values for name in simple):
        referenced = set(simple)
        rendered = _PLACEHOLDER.sub(lambda match: _quote(values[match.group(1)]), command)
    else:
        referenced = referenced_names(command)
        rendered = _render_with_jinja(command, values)
    extra = [name for name in values if name not in referenced]
    return " ".join([rendered.strip(), *append_arguments(values, extra)]).strip()


def _render_with_jinja(command: str, values: Mapping[str, Any]) -> str:
    from jinja2 import TemplateError

    try:
        return _environment().from_string(command).render(dict(values))
    except TemplateError as error:
        raise TemplateProblem(f"template error: {error}", getattr(error, "lineno", None)) from None


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
