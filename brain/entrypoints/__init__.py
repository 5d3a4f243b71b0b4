"""Entry point types as plug-ins, and the registry the core asks about them.

Each type is one module implementing `brain.entrypoints.base.EntryType`. The built-in ones
are named here by import path and loaded on first use (so `brain run` of a shell entry point
never imports the notebook machinery); `register` adds another at run time. Adding a type is
one new module, one line in BUILTIN (or a `register` call) and its tests: see
docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from typing import TYPE_CHECKING

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.entrypoints.base import EntryType

BUILTIN: dict[str, str] = {
    "shell": "brain.entrypoints.shell:ShellEntry",
    "bash": "brain.entrypoints.bash:BashEntry",
    "python": "brain.entrypoints.python:PythonEntry",
    "notebook": "brain.entrypoints.notebook:NotebookEntry",
    "app": "brain.entrypoints.app:AppEntry",
    "r": "brain.entrypoints.r:REntry",
}
_registered: dict[str, EntryType] = {}
_added: list[str] = []  # names registered at run time, in order


def type_names() -> tuple[str, ...]:
    """Every entry point type brain knows, built-in ones first."""
    return (*BUILTIN, *(name for name in _added if name not in BUILTIN))


def entry_type(name: str) -> EntryType:
    """The type called `name`; InvalidInput naming the known ones."""
    found = _registered.get(name)
    if found is not None:
        return found
    target = BUILTIN.get(name)
    if target is None:
        raise InvalidInput(f"unknown entry point type {name!r}",
                           hint="known types: " + ", ".join(type_names()))
    module_name, attribute = target.split(":")
    made: EntryType = getattr(import_module(module_name), attribute)()
    _registered[name] = made
    return made


def register(kind: EntryType) -> None:
    """Make `kind` known under `kind.name` (replacing a type of that name)."""
    _registered[kind.name] = kind
    if kind.name not in BUILTIN and kind.name not in _added:
        _added.append(kind.name)


def unregister(name: str) -> None:
    """Forget a type added with `register` (built-in types come back as built)."""
    _registered.pop(name, None)
    if name in _added:
        _added.remove(name)


def environment_requirements(entry_types: Iterable[str], declared: Iterable[str]) -> list[str]:
    """Requirement lines the declared entry point types need in the environment, except any
    package the user's own `declared` lines already name (their pin wins)."""
    named = {_requirement_name(line) for line in declared}
    lines: list[str] = []
    for name in dict.fromkeys(entry_types):
        for package, line in entry_type(name).requirements.items():
            if package not in named and line not in lines:
                lines.append(line)
    return lines


def _requirement_name(line: str) -> str:
    """The canonical project name a requirement line starts with."""
    import re

    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return re.sub(r"[-_.]+", "-", match[1]).lower() if match else ""
