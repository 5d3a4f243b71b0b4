"""The interface of a source format, and the careful readers every importer uses."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from brain.errors import InvalidInput

MAX_SOURCE_BYTES = 1 << 20  # an MLproject or dvc.yaml is a few hundred bytes


@dataclass
class Imported:
    """An onebrain.yml as data, and what could not be carried over (one line each)."""

    spec: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)
    source: str = ""


class Importer(ABC):
    """One source format."""

    name: ClassVar[str]
    looks_for: ClassVar[str]  # what `detect` looks for, for messages

    @abstractmethod
    def detect(self, root: Path) -> bool:
        """True when `root` holds a project of this format."""

    @abstractmethod
    def read(self, root: Path) -> Imported:
        """The spec; InvalidInput when the source files cannot be read at all."""


def read_yaml(root: Path, relative: str) -> dict[str, Any]:
    """A YAML mapping from a file inside `root`: bounded, contained, brain's safe loader."""
    from brain.inputfs import read_input_text
    from brain.spec.document import YamlProblem, parse

    inside = project_path(relative)
    if inside is None:
        raise InvalidInput(f"{relative!r} leads outside the project; brain does not read it")
    text = read_input_text(root / inside, root=root, cap=MAX_SOURCE_BYTES)
    try:
        data: dict[str, Any] = parse(text).data
    except YamlProblem as problem:
        where = f":{problem.mark.line}:{problem.mark.column}" if problem.mark else ""
        raise InvalidInput(f"{inside}{where}: {problem.message}") from None
    return data


def project_path(value: object) -> str | None:
    """`value` as a relative POSIX path inside the project, or None when it is not one."""
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        return None
    pure = PurePosixPath(value.strip())
    if value.startswith(("/", "\\", "~")) or ".." in pure.parts or (
            pure.parts and ":" in pure.parts[0]):
        return None
    return pure.as_posix()


def slug(text: str) -> str | None:
    """`text` as a project name (lowercase, `-` for what names cannot hold), or None."""
    from brain.spec.models import NAME_PATTERN

    made = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-._")[:64].strip("-._")
    return made if re.fullmatch(NAME_PATTERN, made) else None


def identifier(text: object) -> bool:
    """True when `text` can be a parameter name."""
    from brain.spec.models import IDENTIFIER_PATTERN

    return isinstance(text, str) and re.fullmatch(IDENTIFIER_PATTERN, text) is not None


def entry_name(text: object) -> bool:
    """True when `text` can be an entry point name."""
    from brain.spec.models import entry_name_problem

    return isinstance(text, str) and bool(text) and entry_name_problem(text) is None


def spec_head(root: Path, name: object) -> dict[str, Any]:
    """`name:` (from the source, else the folder) and `version:`."""
    chosen = slug(name) if isinstance(name, str) else None
    return {"name": chosen or slug(root.resolve().name) or "imported", "version": "0.1.0"}
