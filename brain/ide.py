"""Editor files for a project: VS Code settings and launch configurations, a devcontainer,
and an ssh `Host` block for remote editing.

Files are merged, never overwritten: keys and launch configurations already there are kept,
brain adds only what is missing. A file that is not plain JSON (VS Code allows comments) is
refused with a message rather than rewritten without them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brain.errors import InvalidInput

VENV_PYTHON = "${workspaceFolder}/.brain/venv/bin/python"
_MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class WrittenFile:
    """One editor file and what brain did to it: created, merged (keys added) or unchanged."""

    path: Path
    action: str
    added: tuple[str, ...] = ()


def write_vscode_files(root: Path) -> list[WrittenFile]:
    """Write or merge `.vscode/settings.json`, `.vscode/launch.json` and
    `.devcontainer/devcontainer.json` for the project at `root`."""
    from brain.runs.snapshot import load_snapshot

    snapshot = load_snapshot(root)
    root = snapshot.root
    settings = {
        "python.defaultInterpreterPath": VENV_PYTHON,
        "python.terminal.activateEnvironment": True,
        "files.watcherExclude": {"**/.brain/**": True},
        "yaml.schemas": {"https://example.com/brain/onebrain.schema.json": "onebrain.y*ml"},
    }
    configurations = [launch_configuration(snapshot, name) for name in snapshot.entry_points]
    return [
        _merge_keys(root / ".vscode" / "settings.json", settings),
        _merge_launch(root / ".vscode" / "launch.json", configurations),
        _merge_keys(root / ".devcontainer" / "devcontainer.json", devcontainer(snapshot)),
    ]


def launch_configuration(snapshot: Any, name: str) -> dict[str, Any]:
    """A VS Code debug configuration running entry point `name` with its default
    parameters: Python entry points directly in the project's interpreter, others through
    `brain run` (debugpy follows the Python processes it starts)."""
    entry = snapshot.entry_points[name]
    defaults = {key: parameter.default for key, parameter in entry.parameters.items()
                if parameter.default is not None}
    title = f"brain: {name}"
    if entry.type == "python" and (entry.script or entry.module):
        arguments: list[str] = []
        for key, value in defaults.items():
            arguments += [f"--{key}", _text(value)]
        config: dict[str, Any] = {"name": title, "type": "debugpy", "request": "launch",
                                  "python": VENV_PYTHON, "cwd": "${workspaceFolder}",
                                  "args": arguments, "console": "integratedTerminal",
                                  "justMyCode": True}
        if entry.script:
            config["program"] = f"${{workspaceFolder}}/{entry.script}"
        else:
            config["module"] = entry.module
        return config
    arguments = ["run", "-e", name]
    for key, value in defaults.items():
        arguments += ["-P", f"{key}={_text(value)}"]
    return {"name": title, "type": "debugpy", "request": "launch", "module": "brain",
            "args": arguments, "cwd": "${workspaceFolder}", "console": "integratedTerminal",
            "subProcess": True, "justMyCode": True}


def devcontainer(snapshot: Any) -> dict[str, Any]:
    """A devcontainer on the project's Docker image (built by `brain build --docker`)."""
    from brain.envs.image_names import repository_name, tag_text

    image = f"{repository_name(snapshot.namespace, snapshot.name)}:{tag_text(snapshot.version)}"
    return {
        "name": snapshot.name,
        "image": image,
        "initializeCommand": ["brain", "build", "--docker"],
        "customizations": {"vscode": {"extensions": ["ms-python.python",
                                                      "redhat.vscode-yaml"]}},
    }


def ssh_config_block(remote: Any) -> str:
    """The `Host` block that lets ssh (and VS Code Remote-SSH) reach `remote` by name."""
    url = remote.url
    lines = [f"Host brain-{remote.name}", f"    HostName {url.ssh_host}"]
    if url.user:
        lines.append(f"    User {url.user}")
    lines.append(f"    Port {url.port}")
    if remote.identity:
        lines += [f"    IdentityFile {remote.identity}", "    IdentitiesOnly yes"]
    return "\n".join(lines) + "\n"


def _merge_keys(path: Path, wanted: dict[str, Any]) -> WrittenFile:
    existing = _read(path)
    if existing is None:
        _write(path, wanted)
        return WrittenFile(path, "created", tuple(wanted))
    added = tuple(key for key in wanted if key not in existing)
    if not added:
        return WrittenFile(path, "unchanged")
    _write(path, {**existing, **{key: wanted[key] for key in added}})
    return WrittenFile(path, "merged", added)


def _merge_launch(path: Path, configurations: list[dict[str, Any]]) -> WrittenFile:
    existing = _read(path)
    if existing is None:
        _write(path, {"version": "0.2.0", "configurations": configurations})
        return WrittenFile(path, "created", tuple(c["name"] for c in configurations))
    present = existing.get("configurations", [])
    if not isinstance(present, list):
        raise InvalidInput(f"{path}: 'configurations' is not a list; brain leaves it alone",
                           hint="fix the file, or move it aside and run `brain ide vscode`")
    names = {item.get("name") for item in present if isinstance(item, dict)}
    new = [config for config in configurations if config["name"] not in names]
    if not new:
        return WrittenFile(path, "unchanged")
    _write(path, {"version": "0.2.0", **existing, "configurations": [*present, *new]})
    return WrittenFile(path, "merged", tuple(config["name"] for config in new))


def _read(path: Path) -> dict[str, Any] | None:
    if path.is_symlink():
        raise InvalidInput(f"{path} is a symlink; brain does not write through it")
    try:
        with path.open("rb") as stream:
            raw = stream.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise InvalidInput(f"{path} is larger than {_MAX_BYTES} bytes; brain leaves it alone")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{path} is not plain JSON (comments or trailing commas?); brain "
                           "merges only plain JSON and leaves it unchanged",
                           hint="remove the comments, or move the file aside and run the "
                           "command again") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} does not hold a JSON object; brain leaves it alone")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    from brain.statefs import write_atomic  # the one atomic writer (never through a link)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, indent=4) + "\n")
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror}") from None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
