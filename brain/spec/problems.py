"""Spec problems: one located, readable line each, from YAML, pydantic or semantic checks."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from brain.spec.document import Document, Mark, Path


@dataclass(frozen=True)
class Problem:
    """What is wrong and where."""

    mark: Mark | None
    path: Path
    message: str

    @property
    def field(self) -> str:
        """The dotted field path (`entry_points.fit models.parameters.alpha.default`)."""
        return ".".join(str(part) for part in self.path)

    def format(self, file: str) -> str:
        """`file:line:col: field: message`."""
        where = f"{file}:{self.mark.line}:{self.mark.column}" if self.mark else file
        return f"{where}: {self.field}: {self.message}" if self.path else f"{where}: {self.message}"

    def sort_key(self) -> tuple[int, int]:
        """Order problems as they appear in the file."""
        return (self.mark.line, self.mark.column) if self.mark else (0, 0)


_EXPECTED = {
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "date_type": "expected a date (YYYY-MM-DD)",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
}

_PATTERN_MEANING = {
    "name": "a lowercase slug (a-z, 0-9, '-', '_', '.'; starts and ends with a letter or digit)",
    "namespace": "a lowercase slug (a-z, 0-9, '-', '_', '.'; starts and ends with a letter or digit)",
    "memory": 'a size such as "4Gi" or "512Mi"',
}

_BRANCH_NAMES = {
    "str": "text", "int": "a whole number", "float": "a number", "bool": "true/false",
    "date": "a date", "none": "nothing",
}


def describe(value: Any) -> str:
    """How a found value is shown in a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    source = getattr(value, "yaml_source", None)
    if source is not None:
        return str(source)
    return repr(value)


def from_validation_error(error: ValidationError, document: Document) -> list[Problem]:
    """Rewrite pydantic's errors as located problems, collapsing union branches."""
    from brain.spec.models import Spec

    problems: dict[Path, Problem] = {}
    branches: dict[Path, list[str]] = {}
    for item in error.errors(include_url=False):
        loc: Path = tuple(item["loc"])
        kind = item["type"]
        if kind == "missing":
            parent = loc[:-1]
            problems[loc] = Problem(document.mark(parent), loc, f"required field {loc[-1]!r} is missing")
            continue
        if kind == "extra_forbidden":
            problems[loc] = Problem(
                document.keys.get(loc, document.mark(loc)), loc, _unknown_key(Spec, loc)
            )
            continue
        path = _document_path(loc, document)
        if path != loc:
            # pydantic tags union branches onto the location (`default.str`, `default.int`).
            branches.setdefault(path, []).append(str(loc[len(path)]))
            if path in problems:
                continue
        problems[path] = Problem(document.mark(path), path, _message(item))
    for path, names in branches.items():
        if len(names) > 1:
            wanted = sorted({_BRANCH_NAMES.get(n, n.split("[")[0]) for n in names})
            found = _lookup(document.data, path)
            problems[path] = Problem(
                document.mark(path), path, f"expected {' or '.join(wanted)}, got {describe(found)}"
            )
    return sorted(problems.values(), key=Problem.sort_key)


def _document_path(loc: Path, document: Document) -> Path:
    for end in range(len(loc), -1, -1):
        if loc[:end] in document.values:
            return loc[:end]
    return ()


def _lookup(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _message(item: Any) -> str:
    kind = item["type"]
    found = describe(item.get("input"))
    ctx = item.get("ctx") or {}
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {found}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '')}, got {found}"
    if kind == "string_pattern_mismatch":
        field = str(item["loc"][-1]) if item["loc"] else ""
        return f"expected {_PATTERN_MEANING.get(field, 'a value matching ' + str(ctx.get('pattern')))}, got {found}"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    message = str(item["msg"])
    return f"{message[0].lower()}{message[1:]}, got {found}"


def _unknown_key(model: type[BaseModel], loc: Path) -> str:
    key = str(loc[-1])
    allowed = _keys_at(model, loc[:-1])
    guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    listed = f"; allowed: {', '.join(sorted(allowed))}" if allowed and not guess else ""
    return f"unknown key {key!r}{hint}{listed}"


def _keys_at(model: type[BaseModel], path: Path) -> list[str]:
    """The keys a mapping at `path` may hold, found by walking the model's annotations."""
    current: Any = model
    for part in path:
        current = _child(current, part)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        names = []
        for name, info in current.model_fields.items():
            names.append(info.alias or name)
            choices = getattr(info.validation_alias, "choices", None) or []
            names += [c for c in choices if isinstance(c, str)]
        return sorted(set(names))
    return []


def _child(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part == name or part == info.alias:
                return info.annotation
        return None
    for arg in _unwrap(annotation):
        origin = typing.get_origin(arg)
        if origin is dict:
            return typing.get_args(arg)[1]
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return _child(arg, part)
    return None


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return [a for arg in typing.get_args(annotation) for a in _unwrap(arg)]
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return [annotation]
