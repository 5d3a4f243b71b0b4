"""MLflow Projects: `MLproject` (entry points, typed parameters, `{name}` placeholders) plus
`python_env.yaml` or the pip part of `conda.yaml`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.importers.base import (
    Imported,
    Importer,
    entry_name,
    identifier,
    project_path,
    read_yaml,
    spec_head,
)

# MLflow's parameter types; `path` and `uri` mean the same in brain.
_TYPES = {"string": "str", "str": "str", "float": "float", "path": "path", "uri": "uri"}
_PLACEHOLDER = re.compile(r"(?<![{$])\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


class MLprojectImporter(Importer):
    """An MLflow project."""

    name = "mlproject"
    looks_for = "an MLproject file"

    def detect(self, root: Path) -> bool:
        """An `MLproject` file at the top."""
        return (root / "MLproject").is_file()

    def read(self, root: Path) -> Imported:
        """The spec of the MLflow project at `root`."""
        data = read_yaml(root, "MLproject")
        unmapped: list[str] = []
        spec = spec_head(root, data.get("name"))
        env = _environment(root, data, unmapped)
        if env:
            spec["env"] = {"python": env}
        entries: dict[str, Any] = {}
        raw_entries = data.get("entry_points")
        for name, entry in (raw_entries.items() if isinstance(raw_entries, dict) else ()):
            if not entry_name(name) or not isinstance(entry, dict):
                unmapped.append(f"entry point {name!r}: not a valid brain entry point name "
                                "or not a mapping")
                continue
            made = _entry(str(name), entry, unmapped)
            if made is not None:
                entries[str(name)] = made
        if not entries:
            raise InvalidInput("MLproject declares no entry point brain can import")
        spec["entry_points"] = entries
        for key in sorted(set(data) - {"name", "entry_points", "python_env", "conda_env"}):
            unmapped.append(f"{key}: MLflow's, no brain equivalent (e.g. docker_env: write "
                            "a Dockerfile and use --backend docker)")
        return Imported(spec, unmapped, self.name)


def _entry(name: str, entry: dict[str, Any], unmapped: list[str]) -> dict[str, Any] | None:
    command = entry.get("command")
    if not isinstance(command, str) or not command.strip():
        unmapped.append(f"entry point {name!r}: no command")
        return None
    parameters: dict[str, Any] = {}
    raw = entry.get("parameters")
    for key, value in (raw.items() if isinstance(raw, dict) else ()):
        if not identifier(key):
            unmapped.append(f"entry point {name!r}: parameter {key!r} is not a valid "
                            "parameter name (letters, digits, '_')")
            continue
        parameters[str(key)] = _parameter(name, str(key), value, unmapped)
    return {"type": "bash", "command": placeholders(command.strip(), set(parameters)),
            **({"parameters": parameters} if parameters else {})}


def _parameter(entry: str, name: str, value: Any, unmapped: list[str]) -> dict[str, Any]:
    """MLflow writes `alpha: float`, `alpha: {type: float, default: 0.5}` or `alpha: 0.5`."""
    if isinstance(value, dict):
        kind, default = value.get("type", "string"), value.get("default")
    elif isinstance(value, str) and value in _TYPES:
        kind, default = value, None
    else:
        kind, default = "string", value
    brain_type = _TYPES.get(str(kind))
    if brain_type is None:
        unmapped.append(f"entry point {entry!r}: parameter {name!r} has type {kind!r}; "
                        "imported as str")
        brain_type = "str"
    made: dict[str, Any] = {"type": brain_type}
    if isinstance(default, bool) or not isinstance(default, (str, int, float)):
        if default is not None:
            unmapped.append(f"entry point {entry!r}: the default of {name!r} is not a "
                            "scalar; left out")
        return made
    made["default"] = float(default) if brain_type == "float" else str(default)
    return made


def placeholders(command: str, names: set[str]) -> str:
    """MLflow's `{alpha}` as brain's `{{ alpha }}`, for declared parameters only."""
    return _PLACEHOLDER.sub(lambda m: f"{{{{ {m.group(1)} }}}}" if m.group(1) in names
                            else m.group(0), command)


def _environment(root: Path, data: dict[str, Any], unmapped: list[str]) -> dict[str, Any]:
    for key, reader in (("python_env", _python_env), ("conda_env", _conda_env)):
        if key not in data:
            continue
        relative = project_path(data[key])
        if relative is None:
            unmapped.append(f"{key}: {data[key]!r} is not a file inside the project; skipped")
            return {}
        if not (root / relative).is_file():
            unmapped.append(f"{key}: {relative} does not exist; no dependencies imported")
            return {}
        return reader(read_yaml(root, relative), unmapped)
    return {}


def _python_env(data: dict[str, Any], unmapped: list[str]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    python = data.get("python")
    if isinstance(python, (str, int, float)) and not isinstance(python, bool):
        env["version"] = ".".join(str(python).split(".")[:2])
    pip = [item for item in data.get("dependencies") or () if isinstance(item, str)]
    if pip:
        env["pip"] = pip
    if data.get("build_dependencies"):
        unmapped.append("python_env.yaml build_dependencies: brain's environments have pip, "
                        "setuptools and wheel already")
    return env


def _conda_env(data: dict[str, Any], unmapped: list[str]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    pip: list[str] = []
    for item in data.get("dependencies") or ():
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            pip += [line for line in item["pip"] if isinstance(line, str)]
        elif isinstance(item, str) and re.match(r"python\s*[=<>]", item):
            env["version"] = ".".join(re.split(r"[=<>]+", item)[-1].strip().split(".")[:2])
        elif isinstance(item, str) and item.strip() != "pip":
            unmapped.append(f"conda package {item!r}: conda packages are not installed by "
                            "brain; add its pip name to env.python.pip")
    if pip:
        env["pip"] = pip
    return env
