"""Template text rendering in an immutable Jinja sandbox with strict undefined names.

A template is code from someone else: it renders in `brain.jinja_sandbox` (no loader, no
include/import, a work budget, bounded values) with a cap on output size.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_OUTPUT_CHARS = 10_000_000
"""Largest rendered template file, in characters."""
_PLAIN_YAML = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_. /@()-]*$")


def yaml_scalar(value: Any) -> str:
    """`value` as a YAML scalar: plain when it reads back as the same string, else quoted."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN_YAML.match(text) and not text.endswith(" "):
        import yaml

        with contextlib.suppress(yaml.YAMLError):  # not plain YAML: quoted below
            if yaml.safe_load(text) == text:
                return text
    # a JSON string is a valid YAML double-quoted scalar; characters YAML could read as line
    # breaks or refuse (U+2028, U+0085, U+FFFE...) stay escaped
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(c if c.isprintable() else _escape(c) for c in quoted)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """The shared bounded sandbox (`brain.jinja_sandbox`) with the `yaml` filter."""
    from brain.jinja_sandbox import bounded_environment

    sandbox = bounded_environment().overlay()
    sandbox.filters = {**sandbox.filters, "yaml": yaml_scalar}
    return sandbox


def render_text(text: str, context: Mapping[str, Any], *, where: str) -> str:
    """Render `text` within the sandbox's caps; any failure is InvalidInput naming `where`."""
    from brain.jinja_sandbox import TemplateFailure, compile_template, render_stream

    try:
        template = compile_template(environment(), text)
        return render_stream(template, context, max_chars=MAX_OUTPUT_CHARS)
    except TemplateFailure as failure:
        line = f":{failure.line}" if failure.line else ""
        raise InvalidInput(f"{where}{line}: {failure}",
                           hint="templates may only use their answers, plain filters and "
                           "bounded loops; write a literal {{ as {{ '{{' }}") from None


def needs_rendering(text: str) -> bool:
    """True when `text` holds Jinja syntax (path names without it are taken as they are)."""
    return "{{" in text or "{%" in text or "{#" in text
