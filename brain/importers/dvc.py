"""DVC pipelines: `dvc.yaml` stages (cmd, deps, outs) plus `params.yaml`; a stage that reads
another's outputs depends on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brain.errors import InvalidInput
from brain.importers.base import Imported, Importer, entry_name, project_path, read_yaml, spec_head


class DvcImporter(Importer):
    """A DVC pipeline."""

    name = "dvc"
    looks_for = "a dvc.yaml file or a .dvc folder"

    def detect(self, root: Path) -> bool:
        """A `dvc.yaml` or a `.dvc` folder at the top."""
        return (root / "dvc.yaml").is_file() or (root / ".dvc").is_dir()

    def read(self, root: Path) -> Imported:
        """The spec of the project at `root`: one entry point per stage, its `.dvc` files,
        stage outs and remotes as `data:`."""
        from brain.importers.dvc_data import data_section

        unmapped: list[str] = []
        if not (root / "dvc.yaml").is_file():
            spec = spec_head(root, None)
            section = data_section(root, [], unmapped)
            if section is None:
                raise InvalidInput("no dvc.yaml and no .dvc pointer files or remotes to import")
            spec["entry_points"] = {}
            spec["data"] = section
            return Imported(spec, unmapped, self.name)
        data = read_yaml(root, "dvc.yaml")
        stages = data.get("stages")
        if not isinstance(stages, dict) or not stages:
            raise InvalidInput("dvc.yaml declares no stages")
        spec = spec_head(root, None)
        entries: dict[str, Any] = {}
        produced: dict[str, str] = {}  # an output path -> the stage writing it
        for name, stage in stages.items():
            if not entry_name(name) or not isinstance(stage, dict):
                unmapped.append(f"stage {name!r}: not a valid entry point name or a mapping")
                continue
            made = _stage(str(name), stage, produced, unmapped)
            if made is not None:
                entries[str(name)] = made
                for out in made.get("outputs", ()):
                    produced[out] = str(name)
        if not entries:
            raise InvalidInput("no stage of dvc.yaml could be imported")
        spec["entry_points"] = entries
        outs = [out for name, stage in entries.items() for out in stage.get("outputs", ())
                if out in _cached_outs(stages.get(name))]
        section = data_section(root, outs, unmapped)
        if section is not None:
            spec["data"] = section
        if (root / "params.yaml").is_file():
            unmapped.append("params.yaml: the scripts read it themselves, as under DVC; it is "
                            "an input of the stages that use it (editing it reruns them)")
        for key in sorted(set(data) - {"stages"}):
            unmapped.append(f"{key}: DVC's, no brain equivalent")
        return Imported(spec, unmapped, self.name)


def _cached_outs(stage: Any) -> set[str]:
    """The `outs` of a stage that DVC caches (not `cache: false`), as written."""
    found: set[str] = set()
    for item in stage.get("outs", ()) if isinstance(stage, dict) else ():
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict) and len(item) == 1:
            path, options = next(iter(item.items()))
            if not (isinstance(options, dict) and options.get("cache") is False):
                found.add(str(path))
    return found


def _stage(name: str, stage: dict[str, Any], produced: dict[str, str],
           unmapped: list[str]) -> dict[str, Any] | None:
    for key in ("foreach", "matrix", "do"):
        if key in stage:
            unmapped.append(f"stage {name!r}: {key} (generated stages) is not imported")
            return None
    command = stage.get("cmd")
    if isinstance(command, list) and all(isinstance(part, str) for part in command):
        command = " && ".join(command)
    if not isinstance(command, str) or not command.strip():
        unmapped.append(f"stage {name!r}: no cmd")
        return None
    if stage.get("wdir", ".") not in (".", "./"):
        unmapped.append(f"stage {name!r}: wdir {stage['wdir']!r} is not imported; the command "
                        "runs in the project folder")
    inputs = _paths(name, "deps", stage.get("deps"), unmapped)
    if stage.get("params"):
        inputs.append("params.yaml")
    outputs = _paths(name, "outs", stage.get("outs"), unmapped)
    for key in ("metrics", "plots"):
        outputs += _paths(name, key, stage.get(key), unmapped)
    depends = sorted({produced[path] for path in inputs if path in produced})
    made: dict[str, Any] = {"type": "bash", "command": command.strip()}
    for key, value in (("inputs", inputs), ("outputs", outputs), ("depends_on", depends)):
        if value:
            made[key] = list(dict.fromkeys(value))
    return made


def _paths(stage: str, key: str, value: Any, unmapped: list[str]) -> list[str]:
    """deps/outs entries: `path` or `{path: {options}}`, kept when inside the project."""
    found: list[str] = []
    for item in value if isinstance(value, list) else ():
        raw = next(iter(item), None) if isinstance(item, dict) and len(item) == 1 else item
        path = project_path(raw)
        if path is None:
            unmapped.append(f"stage {stage!r}: {key} entry {raw!r} is not a path inside the "
                            "project; skipped")
        else:
            found.append(path)
    return found
