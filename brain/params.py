"""Typed parameter values: coercion of `-P name=value` text and of spec defaults.

Works on anything shaped like `brain.spec.models.Parameter` (the pydantic model, or the run
path's pydantic-free snapshot), so `brain run` need not import pydantic.
"""

from __future__ import annotations

import contextlib
import math
import os
import posixpath
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from brain.errors import InvalidInput

if TYPE_CHECKING:
    # datetime is imported where a date is met: most runs have none (about 1 ms a start-up).
    from datetime import date

Value: TypeAlias = "str | int | float | bool | date"
_JSON_LIMIT = 1_000_000  # characters of a json value (the cap every rendered value has)


class JsonValue(str):
    """A `json` parameter's value: its JSON text (a str, so commands, records and caches
    handle it as text); `parsed` is what a notebook receives (a list, a dict, null, ...)."""

    __slots__ = ()

    @property
    def parsed(self) -> Any:
        """The value itself."""
        import json

        return json.loads(self)


def plain(value: Value) -> Any:
    """A typed value in JSON-ready form: numbers, booleans and text as such, a json value
    parsed, dates as ISO text."""
    if isinstance(value, JsonValue):
        return value.parsed
    return value if isinstance(value, (bool, int, float, str)) else format_value(value)

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class Parameter(Protocol):
    """What coercion reads of a declared parameter (`brain.spec.models.Parameter` fits)."""

    @property
    def type(self) -> str: ...
    @property
    def default(self) -> Value | list[Any] | dict[str, Any] | None: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def choices(self) -> tuple[Value, ...] | None: ...
    @property
    def allow_nan(self) -> bool: ...
    @property
    def outside_project(self) -> bool: ...


class ParameterError(ValueError):
    """A value that does not fit its parameter; the message says what was expected."""


def coerce(param: Parameter, raw: Any) -> Value:
    """Turn `raw` (text from -P, or a YAML default) into the parameter's typed value."""
    kind = param.type
    if kind == "json":
        return _json(raw)
    if isinstance(raw, (list, tuple, dict)):  # a YAML default: only json takes those
        shape = "a mapping" if isinstance(raw, dict) else "a list"
        raise ParameterError(f"expected {_EXPECTED.get(kind, 'one of the choices')}, got {shape} "
                             "(only type json takes lists and mappings)")
    if kind == "choice":
        return _choice(param, raw)
    if isinstance(raw, bool) and kind not in ("bool", "str"):
        raise ParameterError(f"expected {_EXPECTED[kind]}, got {raw!r}")
    value: Value
    if kind == "int":
        value = _int(raw)
    elif kind == "float":
        value = _float(raw, allow_nan=param.allow_nan)
    elif kind == "bool":
        value = _bool(raw)
    elif kind == "date":
        value = _date(raw)
    elif kind == "path":
        value = _path(raw, outside_project=param.outside_project)
    elif kind == "uri":
        value = _no_option(_uri(raw))
    else:
        value = _no_option(_text(raw))
    _check_range(param, value)
    return value


def format_value(value: Value) -> str:
    """The text form of a typed value, as a command receives it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    from datetime import date

    return value.isoformat() if isinstance(value, date) else str(value)


def format_default(value: Value | list[Any] | dict[str, Any]) -> str:
    """A declared default as text (a json default's list or mapping as JSON)."""
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    return format_value(value)


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """`-P name=value` pairs into a mapping; splits on the first `=`."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidInput(
                f"parameter {pair!r} is not in the form name=value",
                hint="write -P alpha=0.5 (quote the whole pair if the value has spaces)",
            )
        values[name] = value
    return values


def resolve(
    declared: Mapping[str, Parameter], given: Mapping[str, Any], *, entry: str
) -> dict[str, Value]:
    """Typed values for every declared parameter, from `given` or the defaults.

    Raises InvalidInput naming every undeclared, ill-typed or missing parameter at once.
    """
    problems: list[str] = []
    for name in given:
        if name not in declared:
            import difflib

            guess = difflib.get_close_matches(name, list(declared), n=1)
            known = ", ".join(declared) or "none"
            tip = f"did you mean {guess[0]!r}? " if guess else ""
            problems.append(f"unknown parameter {name!r} ({tip}declared: {known})")
    values: dict[str, Value] = {}
    missing = []
    for name, param in declared.items():
        if name in given:
            try:
                values[name] = coerce(param, given[name])
            except ParameterError as error:
                problems.append(f"parameter {name!r}: {error}")
        elif param.default is not None:
            try:
                values[name] = coerce(param, param.default)
            except ParameterError as error:  # `brain validate` reports it at its line
                problems.append(f"the default of {name!r} does not fit: {error}")
        else:
            missing.append(name)
    if missing:
        problems.append("missing required " + ", ".join(
            f"{name} ({declared[name].type})" for name in missing))
    if problems:
        raise InvalidInput(
            f"entry point {entry!r}: " + "; ".join(problems),
            hint="pass values with -P name=value; `brain info` lists the parameters",
        )
    return values


_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "an ISO date (YYYY-MM-DD)",
    "path": "a relative path",
    "uri": "a URI",
    "str": "text",
    "json": "JSON (a list, an object, a number, \"text\" in quotes, true, false or null)",
}


def _json(raw: Any) -> JsonValue:
    """JSON text from -P (or a default written as text), or a YAML list/mapping/scalar
    default; stored as compact JSON text."""
    import json

    if isinstance(raw, str):
        if len(raw) > _JSON_LIMIT:
            raise ParameterError(f"a json value may be at most {_JSON_LIMIT:,} characters")
        try:
            raw = json.loads(raw, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise ParameterError(f"expected {_EXPECTED['json']}, got {_shown(raw)}") from None
    try:
        text = json.dumps(raw, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        raise ParameterError(f"expected {_EXPECTED['json']}, got {_shown(repr(raw))}") from None
    if len(text) > _JSON_LIMIT:
        raise ParameterError(f"a json value may be at most {_JSON_LIMIT:,} characters")
    return JsonValue(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _int(raw: Any) -> int:
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    # int() would also take "1_000" and non-ASCII digits ("٣"); neither is what users type.
    if isinstance(raw, str) and "_" not in raw and raw.isascii():
        with contextlib.suppress(ValueError):  # not a number: the error below says so
            return int(raw.strip(), 10)
    raise ParameterError(f"expected a whole number, got {raw!r}")


def _float(raw: Any, *, allow_nan: bool) -> float:
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str) and "_" not in raw and raw.isascii():
        try:
            value = float(raw.strip())
        except ValueError:
            raise ParameterError(f"expected a number, got {raw!r}") from None
    else:
        raise ParameterError(f"expected a number, got {raw!r}")
    if not allow_nan and not math.isfinite(value):
        raise ParameterError(f"{raw!r} is not a finite number (set allow_nan: true to accept it)")
    return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ParameterError(f"expected true or false, got {raw!r}")


def _date(raw: Any) -> date:
    from datetime import date

    if isinstance(raw, date):
        return date(raw.year, raw.month, raw.day)
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):  # not a date: the error below says so
            return date.fromisoformat(raw.strip())
    raise ParameterError(f"expected an ISO date (YYYY-MM-DD), got {raw!r}")


def _text(raw: Any) -> str:
    if isinstance(raw, (dict, list, tuple)):
        raise ParameterError(f"expected text, got {type(raw).__name__}")
    if "\x00" in str(raw):
        raise ParameterError("a value cannot contain a NUL byte")
    try:
        str(raw).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes from the command line (surrogateescape)
        raise ParameterError(f"{raw!r} is not valid UTF-8 text") from None
    return format_value(raw)  # a bool or a date (from YAML) as a command receives it


def _path(raw: Any, *, outside_project: bool) -> str:
    text = _text(raw)
    if not text.strip():
        raise ParameterError("expected a path, got an empty value")
    path = str(PurePosixPath(text)) if "\\" not in text else text
    if not outside_project:
        if path.startswith("/"):
            raise ParameterError(f"{raw!r} is absolute; a path must be inside the project "
                                 "(relative to its folder)")
        if posixpath.normpath(path).split("/")[0] == "..":
            raise ParameterError(f"{raw!r} leads out of the project ('..'); a path must be "
                                 "inside it")
    # `-x` is a file name, never an option: the command receives `./-x`.
    return f"./{path}" if path.startswith("-") else path


def _no_option(text: str) -> str:
    if text.startswith("-"):
        raise ParameterError(f"{text!r} begins with '-', so the command would read it as an "
                             "option; a text value cannot begin with '-'")
    return text


def check_paths_inside(declared: Mapping[str, Parameter], values: Mapping[str, Value],
                       root: Path) -> None:
    """Refuse a `path` value that reaches out of `root` through a symlink.

    Coercion already refused absolute paths and `..`; only the filesystem can tell where a
    link inside the project leads. Parameters with `outside_project: true` are left alone.
    """
    real_root = os.path.realpath(root)
    problems = []
    for name, param in declared.items():
        value = values.get(name)
        if param.type != "path" or param.outside_project or not isinstance(value, str):
            continue
        real = os.path.realpath(os.path.join(real_root, value))
        if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
            problems.append(f"parameter {name!r}: {value!r} leads out of the project through "
                            "a symlink")
    if problems:
        raise InvalidInput("; ".join(problems),
                           hint="a path parameter must stay inside the project; the spec can "
                                "allow other places with `outside_project: true`")


def _uri(raw: Any) -> str:
    from urllib.parse import urlparse

    text = _text(raw)
    parsed = urlparse(text)
    if not parsed.scheme or not (parsed.netloc or parsed.path):
        raise ParameterError(f"expected a URI such as s3://bucket/key, got {raw!r}")
    return text


def _choice(param: Parameter, raw: Any) -> Value:
    choices = param.choices or ()
    for choice in choices:
        if raw == choice or format_value(choice) == format_value(raw):
            return choice
    shown = ", ".join(format_value(c) for c in choices)
    raise ParameterError(f"expected one of {shown}, got {raw!r}")


def _check_range(param: Parameter, value: Value) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    if math.isnan(value):
        return
    if param.min is not None and value < param.min:
        raise ParameterError(f"{value} is below the minimum {_number(param.min)}")
    if param.max is not None and value > param.max:
        raise ParameterError(f"{value} is above the maximum {_number(param.max)}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
