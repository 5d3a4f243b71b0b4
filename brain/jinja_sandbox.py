"""One bounded Jinja sandbox for command templates and project templates.

Templates are code from someone else. On top of Jinja's ImmutableSandboxedEnvironment:
- no loader, and `include`/`extends`/`import`/`from ... import` are refused when parsing;
- every loop step, call, filter and `~` join spends one unit of a per-render budget
  (`MAX_STEPS`); `range` is capped (`MAX_RANGE`);
- operations that could build a huge value are checked *before* they run: `*`, `**`, `+`,
  `%` formatting, `~`, `str.ljust`/`center`/`replace`/`join`/`format`..., and the filters that
  take a width; no single value may exceed `MAX_VALUE_CHARS` characters (or items);
- output is streamed and the render stops past the caller's output cap.
Every failure is a `TemplateFailure` with the template line when Jinja knows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.nodes import Template as TemplateNode
    from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_STEPS = 1_000_000
"""Loop iterations, calls, filters and joins one render may spend (well under a second)."""
MAX_RANGE = 100_000
"""Longest `range(...)` a template may ask for."""
MAX_VALUE_CHARS = 1_000_000
"""Largest string (characters) or list (items) one operation may build."""
MAX_INT_BITS = 100_000
"""Largest integer (in bits) `*` and `**` may build (Python would compute any size)."""

_REFUSED_TAGS = {"Include": "include", "Extends": "extends", "Import": "import",
                 "FromImport": "from ... import"}
# A width or precision of five digits or more, or one taken from an argument (`*`, `{w}`).
_WIDE_FORMAT = re.compile(
    r"%[-#0 +]*(\*|\d{5,})|%[-#0 +]*\d*\.(\*|\d{5,})|\{[^{}]*[:!][^{}]*(\d{5,}|\{)")
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


class TemplateFailure(ValueError):
    """A template that cannot be parsed or rendered; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Budget:
    def __init__(self) -> None:
        self.steps = 0

    def spend(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise _refusal(f"the template does more than {MAX_STEPS} steps (loops, calls)")


_BUDGET: ContextVar[_Budget] = ContextVar("brain_jinja_budget")


def _refusal(message: str) -> Exception:
    from jinja2.exceptions import SecurityError

    return SecurityError(message)


def _spend(count: int = 1) -> None:
    budget = _BUDGET.get(None)
    if budget is None:  # a render outside render_stream (not expected): start one
        budget = _Budget()
        _BUDGET.set(budget)
    budget.spend(count)


def _check_size(size: int, what: str) -> None:
    if size > MAX_VALUE_CHARS:
        raise _refusal(f"{what} would build a value of {size} characters or items "
                       f"(the limit is {MAX_VALUE_CHARS})")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, bytes)) else 0


def _check_format(template: Any) -> None:
    if isinstance(template, str) and _WIDE_FORMAT.search(template):
        raise _refusal("string formatting with a width of 10000 or more (or taken from an "
                       "argument) is refused")


def _bounded_range(*args: Any) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise _refusal(f"range() longer than {MAX_RANGE} is refused")
    return result


def _loop(iterable: Any) -> Iterator[Any]:
    """What a `{% for %}` iterates: the same items, one budget step each."""
    budget = _BUDGET.get(None) or _Budget()
    for item in iterable:
        budget.spend()
        yield item


def _join(*parts: Any) -> str:
    """`a ~ b ~ c`, refused before it builds a value past the size cap."""
    _spend()
    texts = [str(part) for part in parts]
    _check_size(sum(len(text) for text in texts), "joining with ~")
    return "".join(texts)


def _checked_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            if isinstance(count, int) and _size(sequence):
                _check_size(_size(sequence) * count, "repetition")
        if isinstance(left, int) and isinstance(right, int) and (
                left.bit_length() + right.bit_length() > MAX_INT_BITS):
            raise _refusal("integer product too large")
    elif operator == "**" and isinstance(right, (int, float)):
        base_bits = left.bit_length() if isinstance(left, int) else 64
        if abs(right) > 100 or base_bits * abs(right) > MAX_INT_BITS:
            raise _refusal("exponent too large")
    elif operator == "+":
        _check_size(_size(left) + _size(right), "concatenation")
    elif operator == "%":
        _check_format(left)


def _checked_call(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    obj = getattr(obj, "__wrapped__", obj)  # Jinja wraps str.format in its own function
    name = getattr(obj, "__name__", "")
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str):
        return
    if name in _WIDTH_METHODS:
        width = args[0] if args else kwargs.get("width", kwargs.get("tabsize", 8))
        if isinstance(width, int):
            grow = width * owner.count("\t") if name == "expandtabs" else width
            _check_size(len(owner) + grow, f"str.{name}")
    elif name == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        old, new = args[0], args[1]
        count = owner.count(old) if old else len(owner) + 1
        _check_size(len(owner) + count * max(0, len(new) - len(old)), "str.replace")
    elif name == "join" and isinstance(args[0] if args else None, (list, tuple, str)):
        items = list(args[0])
        _check_size(sum(_size(i) for i in items) + len(owner) * len(items), "str.join")
    elif name in ("format", "format_map"):
        _check_format(owner)


def _wrap_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend()
        values = [a for a in args if not _is_context(a)]
        if name in ("center", "indent", "wordwrap", "truncate"):
            width = values[1] if len(values) > 1 else kwargs.get("width", 0)
            if isinstance(width, int):
                text = values[0] if values else ""
                lines = str(text).count("\n") + 1 if name == "indent" else 1
                _check_size(len(str(text)) + width * lines, f"the {name} filter")
        elif name == "format" and values:
            _check_format(values[0])
        elif name == "join" and values and isinstance(values[0], (list, tuple)):
            separator = values[1] if len(values) > 1 else kwargs.get("d", "")
            _check_size(sum(_size(v) for v in values[0])
                        + len(str(separator)) * len(values[0]), "the join filter")
        elif name == "replace" and len(values) >= 3:
            text, old, new = (str(v) for v in values[:3])
            count = text.count(old) if old else len(text) + 1
            _check_size(len(text) + count * max(0, len(new) - len(old)), "the replace filter")
        elif name == "sum" and values and isinstance(values[0], (list, tuple)) and not all(
                isinstance(v, (int, float)) for v in values[0]):
            raise _refusal("the sum filter adds numbers only")
        result = function(*args, **kwargs)
        _check_size(_size(result), f"the {name} filter")
        return result

    for marker in ("jinja_pass_arg",):  # keep pass_context / pass_environment markers
        if hasattr(function, marker):
            setattr(bounded, marker, getattr(function, marker))
    return bounded


def _is_context(value: Any) -> bool:
    from jinja2.environment import Environment
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context

    return isinstance(value, (Context, EvalContext, Environment))


# Filters a template may use: the text, number and list ones. Left out: those that build
# HTML or Python reprs (urlize, xmlattr, pprint, safe, forceescape) and `attr`.
_FILTERS = (
    "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "format", "groupby", "indent", "int", "items", "join",
    "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
    "reverse", "round", "select", "selectattr", "slice", "sort", "string", "striptags", "sum",
    "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount",
    "wordwrap",
)


@lru_cache(maxsize=4)
def bounded_environment(finalize: Callable[[Any], Any] | None = None,
                        keep_trailing_newline: bool = True) -> ImmutableSandboxedEnvironment:
    """A sandbox with StrictUndefined, no loader, the caps above, and `finalize` if given."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedSandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _spend()
            _checked_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            _spend()
            _checked_call(__obj, args, kwargs)
            result = super().call(__context, __obj, *args, **kwargs)
            _check_size(_size(result), "a call")
            return result

    sandbox = BoundedSandbox(undefined=StrictUndefined, autoescape=False, finalize=finalize,
                             keep_trailing_newline=keep_trailing_newline)
    sandbox.globals = {"range": _bounded_range, "dict": dict, "brain_loop": _loop,
                       "brain_join": _join}
    sandbox.filters = {name: _wrap_filter(name, sandbox.filters[name]) for name in _FILTERS}
    return sandbox


def parse(environment: ImmutableSandboxedEnvironment, source: str) -> TemplateNode:
    """The template tree, with loops and `~` routed through the budget; refuses file tags."""
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.visitor import NodeTransformer

    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateFailure(f"template syntax error: {error.message}", error.lineno) from None
    for kind, tag in _REFUSED_TAGS.items():
        for node in tree.find_all(getattr(nodes, kind)):
            raise TemplateFailure(f"templates cannot {tag} other templates ({{% {tag} %}} is "
                                  "refused)", node.lineno)

    class Bounded(NodeTransformer):
        def visit_For(self, node: nodes.For) -> nodes.Node:
            self.generic_visit(node)
            node.iter = nodes.Call(nodes.Name("brain_loop", "load"), [node.iter], [], None,
                                   None, lineno=node.lineno)
            return node

        def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
            self.generic_visit(node)
            return nodes.Call(nodes.Name("brain_join", "load"), list(node.nodes), [], None,
                              None, lineno=node.lineno)

    result = Bounded().visit(tree)
    assert isinstance(result, nodes.Template)
    return result


def compile_template(environment: ImmutableSandboxedEnvironment, source: str) -> Template:
    """Parse, bound and compile `source`; unknown filters and tests are refused here."""
    from jinja2 import TemplateAssertionError, TemplateSyntaxError

    tree = parse(environment, source)
    try:
        code = environment.compile(tree)
    except (TemplateAssertionError, TemplateSyntaxError) as error:
        raise TemplateFailure(f"template error: {error.message}", error.lineno) from None
    return environment.template_class.from_code(environment, code,
                                                environment.make_globals(None))


def render_stream(template: Template, context: Mapping[str, Any], *, max_chars: int) -> str:
    """Render with a fresh budget, stopping past `max_chars`; failures are TemplateFailure."""
    from jinja2 import TemplateError, UndefinedError
    from jinja2.exceptions import SecurityError

    token = _BUDGET.set(_Budget())
    pieces: list[str] = []
    size = 0
    try:
        for piece in template.generate(dict(context)):
            size += len(piece)
            if size > max_chars:
                raise TemplateFailure(f"the template renders more than {max_chars} characters")
            pieces.append(piece)
    except TemplateFailure:
        raise
    except UndefinedError as error:
        raise TemplateFailure(f"template uses an unknown name or attribute: {error.message}",
                              _line(error)) from None
    except SecurityError as error:
        raise TemplateFailure(f"unsafe template refused: {error}", _line(error)) from None
    except TemplateError as error:
        raise TemplateFailure(f"template error: {error}", _line(error)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, RecursionError,
            MemoryError) as error:
        raise TemplateFailure(f"template failed: {type(error).__name__}: {error}",
                              _line(error)) from None
    finally:
        _BUDGET.reset(token)
    return "".join(pieces)


def _line(error: BaseException) -> int | None:
    """The template line of `error`, from Jinja's rewritten traceback."""
    line = getattr(error, "lineno", None)
    if isinstance(line, int):
        return line
    traceback = error.__traceback__
    found = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            found = traceback.tb_lineno
        traceback = traceback.tb_next
    return found


def names_read(tree: TemplateNode) -> set[str]:
    """Names a template reads from its context (not its own `set`/loop names)."""
    from jinja2 import TemplateAssertionError, meta

    try:
        found = meta.find_undeclared_variables(tree)
    except TemplateAssertionError as error:  # an unknown filter or test
        raise TemplateFailure(f"template error: {error.message}", error.lineno) from None
    return set(found) - {"brain_loop", "brain_join"}

