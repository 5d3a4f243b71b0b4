"""Command templates: sandboxed Jinja2 where every substituted value is shell-quoted.

The quoting happens in the environment's `finalize` hook, after filters ran, so a template
can still use filters (`{{ alpha | round(2) }}`) and a value can never become shell syntax.
A literal `{{` is written `{{ '{{' }}` or inside `{% raw %}`.
"""

from __future__ import annotations

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


def referenced_names(command: str) -> set[str]:
    """Names a command template reads; raises TemplateProblem on a syntax error."""
    from jinja2 import TemplateSyntaxError, meta

    try:
        tree = _environment().parse(command)
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"template syntax error: {error.message}", error.lineno) from None
    return set(meta.find_undeclared_variables(tree))


def render_command(command: str, values: Mapping[str, Any]) -> str:
    """Render `command` with every value shell-quoted; unreferenced values are appended."""
    from jinja2 import TemplateError

    referenced = referenced_names(command)
    try:
        rendered = _environment().from_string(command).render(dict(values))
    except TemplateError as error:
        raise TemplateProblem(f"template error: {error}", getattr(error, "lineno", None)) from None
    extra = [name for name in values if name not in referenced]
    return " ".join([rendered.strip(), *append_arguments(values, extra)]).strip()


def append_arguments(values: Mapping[str, Any], names: list[str]) -> list[str]:
    """`--name value` pairs (quoted) for the given parameter names."""
    parts: list[str] = []
    for name in names:
        parts += [f"--{name}", _quote(values[name])]
    return parts
