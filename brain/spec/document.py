"""Safe YAML parsing that remembers where every value came from.

PyYAML's SafeLoader composes the node graph; we build plain Python values from it ourselves so
that every key and value keeps its line and column, duplicate keys are caught, only the core
schema's tags are accepted, and an alias bomb stops at a node budget instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 2_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}


@dataclass(frozen=True)
class Mark:
    """A 1-based position in the file."""

    line: int
    column: int


class YamlProblem(Exception):
    """A file that is not a usable YAML mapping."""

    def __init__(self, message: str, mark: Mark | None = None, path: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path


class YamlInt(int):
    """An int that remembers how it was written."""

    yaml_source: str


class YamlFloat(float):
    """A float that remembers how it was written (`3.10` stays "3.10" where text is wanted)."""

    yaml_source: str


@dataclass
class Document:
    """Parsed data plus the position of each value and each mapping key, by path."""

    data: Any
    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)

    def mark(self, path: Path) -> Mark:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self.values:
                return self.values[prefix]
        return Mark(1, 1)


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def decode(raw: bytes) -> str:
    """Bytes to text, refusing what is not UTF-8 with the position of the first bad byte."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(f"file is {len(raw)} bytes; a spec may be at most {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            f"file is not UTF-8 text (byte 0x{raw[error.start]:02x}); save it as UTF-8",
            Mark(line, column),
        ) from None
    return text


def parse(text: str) -> Document:
    """Parse YAML text into a Document; raises YamlProblem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        problem = error.problem or "invalid YAML"
        if "\t" in problem or "'\\t'" in problem:
            problem = "a tab character cannot indent YAML; use spaces"
        raise YamlProblem(f"YAML syntax error: {problem}", where) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"YAML error: {error}") from None
    if root is None:
        raise YamlProblem("the file is empty; a spec needs at least `name:` and `version:`")
    builder = _Builder()
    data = builder.build(root, (), 0)
    if not isinstance(data, dict):
        raise YamlProblem(
            f"the top level must be a mapping of keys (name:, version:, ...), "
            f"got {_kind(data)}",
            _mark(root),
        )
    return Document(data, builder.values, builder.keys)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"a {type(value).__name__} value"


class _Builder:
    def __init__(self) -> None:
        self.values: dict[Path, Mark] = {}
        self.keys: dict[Path, Mark] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                f"the document expands to more than {MAX_NODES} values (alias bomb?)", _mark(node)
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", _mark(node))
        self.values.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise YamlProblem(f"unsupported YAML tag {node.tag!r}", _mark(node), path)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise YamlProblem(f"unsupported YAML tag {node.tag!r}", _mark(node), path)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem(
                    "merge keys (<<) are not supported; write the keys out", _mark(key_node), path
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a mapping key must be plain text", _mark(key_node), path)
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.keys[child]
                raise YamlProblem(
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    _mark(key_node),
                    child,
                )
            self.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise YamlProblem(
                f"unsupported YAML tag {node.tag!r}; only plain values are allowed",
                _mark(node),
                path,
            )
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as error:
            raise YamlProblem(f"invalid value {node.value!r}: {error}", _mark(node), path) from None
        if isinstance(value, float):
            value = YamlFloat(value)
            value.yaml_source = node.value
        elif isinstance(value, int) and not isinstance(value, bool):
            value = YamlInt(value)
            value.yaml_source = node.value
        return value
