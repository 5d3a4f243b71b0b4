"""Safe YAML parsing that remembers where every value came from.

PyYAML's SafeLoader composes the node graph; we build plain Python values from it ourselves so
that every key and value keeps its line and column, duplicate keys are caught, only the core
schema's tags are accepted, and an alias bomb stops at a node budget instead of eating memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from brain.inputfs import MAX_SPEC_BYTES as MAX_BYTES

MAX_NODES = 100_000
MAX_DEPTH = 64

# Where a value sits: keys and list indexes from the top (`entry_points`, `main`, ...).
FieldPath = tuple[str | int, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}
# libyaml's parser is ~5x faster than the pure-Python one (validating 1,000 specs must stay
# under 2 s); both yield the same nodes and marks.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_COLLECTION_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


class Mark(NamedTuple):
    """A 1-based position in the file (a tuple: one is made per YAML node, so it is cheap)."""

    line: int
    column: int


class YamlProblem(Exception):
    """A file that is not a usable YAML mapping."""

    def __init__(self, message: str, mark: Mark | None = None, path: FieldPath = ()) -> None:
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


# Plain scalars are read with the YAML 1.2 core schema, not PyYAML's YAML 1.1 one: `NO`, `on`,
# `y`, `2024-01-01`, `1_000` and `1:20` stay text, `017` is seventeen. Text fields then get
# what the user wrote; where a value must be typed, the model says what it expected.
_CORE_NULLS = frozenset({"null", "Null", "NULL", "~", ""})
_CORE_BOOLS = {"true": True, "True": True, "TRUE": True,
               "false": False, "False": False, "FALSE": False}
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                         r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def core_value(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema (numbers keep `yaml_source`)."""
    if text in _CORE_NULLS:
        return None
    if text in _CORE_BOOLS:
        return _CORE_BOOLS[text]
    number: YamlInt | YamlFloat
    if _CORE_INT.fullmatch(text):
        base = 8 if text.startswith("0o") else 16 if text.startswith("0x") else 10
        number = YamlInt(int(text[2:] if base != 10 else text, base))
    elif _CORE_FLOAT.fullmatch(text):
        lowered = text.lower()
        number = YamlFloat(float(lowered.replace(".inf", "inf").replace(".nan", "nan")))
    else:
        return text
    number.yaml_source = text
    return number


@dataclass
class Document:
    """Parsed data plus the position of each value and each mapping key, by path.

    `problems` holds what was wrong but did not stop parsing (a duplicate key, a refused tag);
    `dropped` holds the paths whose values were discarded for such a problem, so that
    validation does not report them a second time.
    """

    data: Any
    values: dict[FieldPath, Mark] = field(default_factory=dict)
    keys: dict[FieldPath, Mark] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)
    dropped: set[FieldPath] = field(default_factory=set)
    # How each plain scalar that YAML read as a number, true/false or null was written.
    sources: dict[FieldPath, str] = field(default_factory=dict)

    def as_written(self, path: FieldPath, value: Any) -> Any:
        """`value` as the text the user wrote when YAML read it as something else, else as is."""
        return self.sources.get(path, value) if not isinstance(value, str) else value

    def is_dropped(self, path: FieldPath) -> bool:
        """True when `path` is, or is under, a value discarded while parsing."""
        return any(path[: len(gone)] == gone for gone in self.dropped)

    def mark(self, path: FieldPath) -> Mark:
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


def parse(text: str, *, collect: bool = False) -> Document:
    """Parse YAML text into a Document; raises YamlProblem.

    With `collect`, problems that need not stop parsing (a duplicate key, a refused tag) are
    kept in `Document.problems` so that they are reported with all the others; without it
    the first one is raised.
    """
    try:
        _refuse_deep_nesting(text)
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        problem = error.problem or "invalid YAML"
        if "\t" in problem or "'\\t'" in problem or _char_at(text, mark) == "\t":
            problem = "a tab character cannot indent YAML; use spaces"
        elif "expected a single document" in f"{error.context} {problem}":
            problem = "the file holds more than one YAML document (a second '---'); keep one"
        raise YamlProblem(f"YAML syntax error: {problem}", where) from None
    except yaml.reader.ReaderError as error:
        before = text[: error.position]
        code = error.character if isinstance(error.character, int) else ord(error.character)
        column = error.position - (before.rfind("\n") + 1) + 1
        raise YamlProblem(
            f"control character U+{code:04X} is not allowed in YAML; remove it",
            Mark(before.count("\n") + 1, column),
        ) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"YAML error: {error}") from None
    if root is None:
        raise YamlProblem("the file is empty; a spec needs at least `name:` and `version:`")
    builder = _Builder()
    data = builder.build(root, (), 0)
    if builder.problems and (data is None or not collect):
        raise builder.problems[0]
    if not isinstance(data, dict):
        raise YamlProblem(
            f"the top level must be a mapping of keys (name:, version:, ...), "
            f"got {_kind(data)}",
            _mark(root),
        )
    return Document(data, builder.values, builder.keys, builder.problems, builder.dropped,
                    builder.sources)


def _refuse_deep_nesting(text: str) -> None:
    """Composing recurses once per level: tens of thousands of `[` crash the C parser.

    Only a file with many brackets pays for this event scan (the parser's events come
    from a loop, not recursion); raises YamlProblem past MAX_DEPTH.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    where = Mark(mark.line + 1, mark.column + 1) if mark else None
                    raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", where)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:
        # PyYAML >= 6.0.3 caps flow nesting in its scanner, which reads ahead of the events.
        if "nesting depth" not in (error.problem or ""):
            raise
        mark = error.problem_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", where) from None


def _char_at(text: str, mark: Any) -> str:
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines):
        return ""
    line = lines[mark.line]
    return line[mark.column] if mark.column < len(line) else ""


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = str(value)
    return f"the single value {text[:40] + '...' if len(text) > 40 else text!r}"


class _Builder:
    def __init__(self) -> None:
        self.values: dict[FieldPath, Mark] = {}
        self.keys: dict[FieldPath, Mark] = {}
        self.problems: list[YamlProblem] = []
        self.dropped: set[FieldPath] = set()
        self.sources: dict[FieldPath, str] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def _refuse(self, message: str, node: yaml.Node, path: FieldPath, *, drop: bool = True) -> None:
        """Record a problem that does not stop parsing; the value at `path` is dropped."""
        self.problems.append(YamlProblem(message, _mark(node), path))
        if drop:
            self.dropped.add(path)

    def build(self, node: yaml.Node, path: FieldPath, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                f"the document expands to more than {MAX_NODES} values (alias bomb?)", _mark(node)
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", _mark(node))
        self.values.setdefault(path, _mark(node))
        expected = _COLLECTION_TAGS.get(type(node))
        if node.tag not in (_SCALAR_TAGS if expected is None else {expected}):
            # `!!python/object` and friends: never constructed, reported, value dropped.
            self._refuse(f"YAML tag {node.tag!r} is not allowed; write a plain value", node, path)
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        raise YamlProblem(f"unsupported YAML node {type(node).__name__}", _mark(node), path)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._refuse("merge keys (<<) are not supported; write the keys out",
                             key_node, path, drop=False)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self._refuse("a mapping key must be plain text", key_node, path, drop=False)
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.keys[child]
                # Keep the first value: YAML would silently take the last, hiding a mistake.
                self.problems.append(YamlProblem(
                    f"duplicate key {key!r} (first defined at line {first.line}); "
                    "remove one of them", _mark(key_node), child))
                continue
            self.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: FieldPath) -> Any:
        # Plain (the C parser says "", the Python one None). What YAML 1.1 already read as
        # text (`1e5` too) stays text: that reading can only keep what the user wrote.
        if not node.style and node.tag != "tag:yaml.org,2002:str":
            value = core_value(node.value)
            if not isinstance(value, str):
                self.sources[path] = node.value
            return value
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as error:
            if node.tag != "tag:yaml.org,2002:timestamp":
                self._refuse(f"invalid value {node.value!r}: {error}", node, path)
                return None
            value = node.value  # `2024-13-01`: left as text for the date check to explain
        if isinstance(value, float):
            value = YamlFloat(value)
            value.yaml_source = node.value
        elif isinstance(value, int) and not isinstance(value, bool):
            value = YamlInt(value)
            value.yaml_source = node.value
        return value
