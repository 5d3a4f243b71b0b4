"""`pyproject.toml`: `[project.scripts]`, hatch scripts and pixi tasks become entry points,
`[project].dependencies` the environment's pip requirements."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.importers.base import MAX_SOURCE_BYTES, Imported, Importer, entry_name, spec_head

_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_FUNCTION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PyprojectImporter(Importer):
    """A Python project's declared scripts and tasks."""

    name = "pyproject"
    looks_for = "a pyproject.toml with scripts or tasks"

    def detect(self, root: Path) -> bool:
        """A `pyproject.toml` at the top declaring at least one script or task."""
        if not (root / "pyproject.toml").is_file():
            return False
        try:
            return bool(_commands(_read(root), []))
        except InvalidInput:
            return True  # `read` says what is wrong with it

    def read(self, root: Path) -> Imported:
        """One entry point per script or task."""
        data = _read(root)
        unmapped: list[str] = []
        project = _table(data, "project")
        spec = spec_head(root, project.get("name"))
        dependencies = [item for item in project.get("dependencies") or ()
                        if isinstance(item, str)]
        if dependencies:
            spec["env"] = {"python": {"pip": dependencies}}
        entries = _commands(data, unmapped)
        if not entries:
            raise InvalidInput("pyproject.toml declares no script or task")
        spec["entry_points"] = entries
        return Imported(spec, unmapped, self.name)


def _read(root: Path) -> dict[str, Any]:
    from brain.inputfs import read_input_text

    text = read_input_text(root / "pyproject.toml", root=root, cap=MAX_SOURCE_BYTES)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"pyproject.toml: {error}") from None


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        found = data.get(key)
        data = found if isinstance(found, dict) else {}
    return data


def _commands(data: dict[str, Any], unmapped: list[str]) -> dict[str, Any]:
    entries: dict[str, Any] = {}

    def add(name: str, entry: dict[str, Any], where: str) -> None:
        if not entry_name(name) or name in entries:
            unmapped.append(f"{where} {name!r}: not a usable entry point name (or a duplicate)")
        else:
            entries[name] = entry

    for name, target in _table(data, "project", "scripts").items():
        module, _, function = str(target).partition(":")
        if not _MODULE.fullmatch(module) or not _FUNCTION.fullmatch(function):
            unmapped.append(f"[project.scripts] {name!r}: {target!r} is not module:function")
            continue
        add(name, {"type": "shell", "command": f'python -c "import sys; from {module} import '
                   f'{function}; sys.exit({function}())"'}, "[project.scripts]")
    for name, command in _table(data, "tool", "hatch", "envs", "default", "scripts").items():
        line = _line(command)
        if line is None:
            unmapped.append(f"hatch script {name!r}: not a command or a list of commands")
            continue
        add(name, {"type": "bash", "command": line}, "hatch script")
    for name, task in _table(data, "tool", "pixi", "tasks").items():
        line = _line(task.get("cmd") if isinstance(task, dict) else task)
        if line is None:
            unmapped.append(f"pixi task {name!r}: no cmd")
            continue
        made: dict[str, Any] = {"type": "bash", "command": line}
        depends = task.get("depends-on", task.get("depends_on")) if isinstance(task, dict) \
            else None
        if isinstance(depends, list) and all(isinstance(item, str) for item in depends):
            made["depends_on"] = depends
        add(name, made, "pixi task")
    return entries


def _line(command: Any) -> str | None:
    if isinstance(command, list) and command and all(isinstance(c, str) for c in command):
        return " && ".join(command)
    if isinstance(command, str) and command.strip():
        return command.strip()
    return None
