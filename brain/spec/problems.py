"""Spec problems: one located, readable line each, from YAML, pydantic or semantic checks."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from brain.spec.document import Document, FieldPath, Mark


@dataclass(frozen=True)
class Problem:
    """What is wrong and where."""

    mark: Mark | None
    path: FieldPath
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

_SLUG = "a lowercase slug (a-z, 0-9, '-', '_', '.'; starts and ends with a letter or digit)"
_PATTERN_MEANING = {
    "name": _SLUG,
    "namespace": _SLUG,
    "memory": 'a size such as "4Gi" or "512Mi"',
    "variables": "a valid environment variable name (letters, digits and '_', not starting "
    "with a digit)",
}

_BRANCH_NAMES = {
    "str": "text", "int": "a whole number", "float": "a number", "bool": "true/false",
    "date": "a date", "none": "nothing", "dict": "a mapping", "list": "a list",
    "tuple": "a list",
}

_BOUNDS = {
    "greater_than": "expected a number above {gt}",
    "greater_than_equal": "expected at least {ge}",
    "less_than": "expected a number below {lt}",
    "less_than_equal": "expected at most {le}",
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


def from_validation_error(
    error: ValidationError, document: Document, prefix: FieldPath = ()
) -> list[Problem]:
    """Rewrite pydantic's errors as located problems, collapsing union branches.

    `prefix` is where the validated value sits in the document (a part validated on its own).
    """
    from brain.spec.models import Spec

    problems: dict[FieldPath, Problem] = {}
    branches: dict[FieldPath, list[str]] = {}
    for loc, item in _pick_branches(error.errors(include_url=False), document, prefix):
        kind = item["type"]
        if document.is_dropped(loc):
            continue  # already reported by the parser (a refused tag or value)
        if kind == "missing":
            parent = loc[:-1]
            problems[loc] = Problem(document.mark(parent), loc,
                                    f"required field {loc[-1]!r} is missing")
            continue
        if kind == "extra_forbidden":
            problems[loc] = Problem(
                document.keys.get(loc, document.mark(loc)), loc, _unknown_key(Spec, loc)
            )
            continue
        if loc and loc[-1] == "[key]":
            path = loc[:-1]
            meaning = _PATTERN_MEANING.get(str(path[-2]) if len(path) > 1 else "", "a valid key")
            problems[path] = Problem(document.keys.get(path, document.mark(path)), path,
                                     f"{str(path[-1])!r} is not {meaning}")
            continue
        path = _document_path(loc, document)
        if path != loc:
            # pydantic tags union branches onto the location (`default.str`, `default.int`).
            branches.setdefault(path, []).append(str(loc[len(path)]))
            if path in problems:
                continue
        message = _message(item)
        if item["type"] == "string_type" and path in document.sources:
            written = document.sources[path]
            message = (f"expected text, got {written or 'an empty value'}, which YAML reads as "
                       f"{_yaml_kind(item.get('input'))}: write '{written}' in quotes")
        problems[path] = Problem(document.mark(path), path, message)
    for path, names in branches.items():
        if len(names) > 1:
            found = _lookup(document.data, path)
            problems[path] = Problem(
                document.mark(path), path, f"expected {_branches(names)}, got {describe(found)}"
            )
    return sorted(problems.values(), key=Problem.sort_key)


def _pick_branches(items: list[Any], document: Document, prefix: FieldPath
                   ) -> list[tuple[FieldPath, Any]]:
    """Errors with full locations; where a union's branch matches the value found (a mapping
    for `dict[...] | list[...]`), only that branch's errors, its tag removed from the path."""
    picked: list[tuple[FieldPath, Any]] = []
    unions: dict[FieldPath, dict[str, list[tuple[FieldPath, Any]]]] = {}
    for item in items:
        loc: FieldPath = (*prefix, *item["loc"])
        split = _branch_of(loc, document)
        if split is None or item["type"] in ("missing", "extra_forbidden"):
            picked.append((loc, item))
            continue
        path, tag, rest = split
        unions.setdefault(path, {}).setdefault(tag, []).append((rest, item))
    for path, branches in unions.items():
        found = _lookup(document.data, path)
        kinds = ("dict",) if isinstance(found, dict) else (
            ("list", "tuple") if isinstance(found, list) else ())
        chosen = [tag for tag in branches if kinds and tag.startswith(kinds)]
        if len(chosen) == 1 and len(branches) > 1:
            picked += [((*path, *rest), item) for rest, item in branches[chosen[0]]]
        else:
            picked += [((*path, tag, *rest), item)
                       for tag, group in branches.items() for rest, item in group]
    return picked


def _branch_of(loc: FieldPath, document: Document
               ) -> tuple[FieldPath, str, FieldPath] | None:
    """Split `loc` at the first part that is no node of the document: a union branch tag."""
    for end in range(len(loc)):
        if loc[: end + 1] not in document.values:
            return loc[:end], str(loc[end]), loc[end + 1:]
    return None


def _branches(names: list[str]) -> str:
    """`str`, `int`, `float`... as one readable alternative: "text, a number or a date"."""
    bare = (n.split("[")[0] for n in names)
    wanted = list(dict.fromkeys(_BRANCH_NAMES.get(n, n) for n in bare))
    if "a number" in wanted and "a whole number" in wanted:
        wanted.remove("a whole number")
    return wanted[0] if len(wanted) == 1 else f"{', '.join(wanted[:-1])} or {wanted[-1]}"


def _document_path(loc: FieldPath, document: Document) -> FieldPath:
    for end in range(len(loc), -1, -1):
        if loc[:end] in document.values:
            return loc[:end]
    return ()


def _lookup(data: Any, path: FieldPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _yaml_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    return "null" if value is None else "a number"


def _message(item: Any) -> str:
    kind = item["type"]
    found = describe(item.get("input"))
    ctx = item.get("ctx") or {}
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {found}"
    if kind in _BOUNDS:
        bounds = {k: int(v) if isinstance(v, float) and v.is_integer() else v
                  for k, v in ctx.items()}
        return f"{_BOUNDS[kind].format(**bounds)}, got {found}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected', '')}, got {found}"
    if kind == "string_pattern_mismatch":
        field = str(item["loc"][-1]) if item["loc"] else ""
        meaning = _PATTERN_MEANING.get(field, f"text matching {ctx.get('pattern')}")
        return f"expected {meaning}, got {found}"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    message = str(item["msg"])
    return f"{message[0].lower()}{message[1:]}, got {found}"


def _unknown_key(model: type[BaseModel], loc: FieldPath) -> str:
    key = str(loc[-1])
    groups = _key_groups_at(model, loc[:-1])
    allowed = sorted({name for group in groups for name in group})
    for group in groups:
        if key in group:
            # pydantic takes the first alias present (`tags` over `tag`), the other is extra.
            others = " or ".join(repr(name) for name in group if name != key)
            return f"{key!r} and {others} are the same key; keep only one of them"
    guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    listed = f"; allowed: {', '.join(sorted(allowed))}" if allowed and not guess else ""
    return f"unknown key {key!r}{hint}{listed}"


def _key_groups_at(model: type[BaseModel], path: FieldPath) -> list[list[str]]:
    """The keys a mapping at `path` may hold, each field's names (aliases) in one group."""
    current: Any = model
    for part in path:
        current = _child(current, part)
        if current is None:
            return []
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    groups = []
    for name, info in current.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None) or []
        aliases = [c for c in choices if isinstance(c, str)]
        groups.append(list(dict.fromkeys([info.alias or name, *aliases])))
    return groups


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
