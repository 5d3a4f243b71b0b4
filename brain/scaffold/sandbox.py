"""Template text rendering in an immutable Jinja sandbox with strict undefined names.

A template is code from someone else: it gets no loader (no include/import of files), only a
few harmless globals, bounded string repetition and powers, and a cap on output size.
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
_MAX_REPEAT = 1_000_000
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
    """The shared sandbox: StrictUndefined, no loader, `yaml` filter, bounded operators."""
    from jinja2 import StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for sequence, count in ((left, right), (right, left)):
                    if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and (
                        len(sequence) * count > _MAX_REPEAT
                    ):
                        raise SecurityError("repetition result too large")
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 100:
                raise SecurityError("exponent too large")
            return super().call_binop(context, operator, left, right)

    sandbox = BoundedSandbox(undefined=StrictUndefined, autoescape=False,
                             keep_trailing_newline=True)
    # lipsum, cycler, joiner and namespace are not needed by templates: fewer objects to probe
    sandbox.globals = {"range": sandbox.globals["range"], "dict": dict}
    sandbox.filters["yaml"] = yaml_scalar
    return sandbox


def render_text(text: str, context: Mapping[str, Any], *, where: str) -> str:
    """Render `text`; any template failure becomes InvalidInput naming `where`."""
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError, TemplateError

    try:
        rendered = environment().from_string(text).render(dict(context))
    except TemplateSyntaxError as error:
        raise InvalidInput(f"{where}:{error.lineno}: template syntax error: {error.message}",
                           hint="fix the template; write a literal {{ as {{ '{{' }}") from None
    except UndefinedError as error:
        raise InvalidInput(f"{where}: template uses an unknown name: {error.message}",
                           hint="known names: " + ", ".join(sorted(context))) from None
    except SecurityError as error:
        raise InvalidInput(f"{where}: unsafe template refused: {error}",
                           hint="templates may only use their answers and plain filters") from None
    except TemplateError as error:
        raise InvalidInput(f"{where}: template error: {error}") from None
    except TypeError as error:
        if "no loader" in str(error):
            raise InvalidInput(f"{where}: templates cannot include, import or extend other "
                               "files") from None
        raise InvalidInput(f"{where}: template failed: TypeError: {error}") from None
    except (ValueError, ArithmeticError, RecursionError) as error:
        raise InvalidInput(f"{where}: template failed: {type(error).__name__}: {error}") from None
    if len(rendered) > MAX_OUTPUT_CHARS:
        raise InvalidInput(f"{where}: rendered text is larger than {MAX_OUTPUT_CHARS} characters")
    return rendered


def needs_rendering(text: str) -> bool:
    """True when `text` holds Jinja syntax (path names without it are taken as they are)."""
    return "{{" in text or "{%" in text or "{#" in text
