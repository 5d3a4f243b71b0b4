"""DVC's data side as brain's `data:`: `.dvc` pointer files and `dvc.yaml` outs become
datasets, the remotes of `.dvc/config` become remotes (their URL only: a credential in a
DVC config is never carried over). The pointer files themselves are used as they are."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from brain.errors import BrainError

_MAX_POINTERS = 10_000  # a walk of a huge tree stops here; what was found is imported
_SKIPPED = {".git", ".dvc", ".brain", "node_modules", "__pycache__", ".venv"}
_REMOTE_KEYS = {"url", "endpointurl"}


def pointer_datasets(root: Path, unmapped: list[str]) -> dict[str, str]:
    """Dataset path -> pointer file, for every `.dvc` pointer file under `root`."""
    from brain.data.pointer import MAX_POINTER_BYTES, parse_pointer
    from brain.inputfs import read_input_text
    from brain.spec.data_models import dataset_path_problem

    found: dict[str, str] = {}
    for file in _pointer_files(root):
        where = file.relative_to(root).as_posix()
        try:
            pointer = parse_pointer(read_input_text(file, root=root, cap=MAX_POINTER_BYTES),
                                    where)
        except BrainError as error:
            unmapped.append(f"{error.message}")
            continue
        path = (PurePosixPath(where).parent / pointer.path).as_posix()
        if pointer.path != file.name.removesuffix(".dvc") or dataset_path_problem(path):
            unmapped.append(f"{where}: names {pointer.path!r}, not the file beside it; skipped")
            continue
        found[path] = where
    return found


def _pointer_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for parent, folders, names in os.walk(root, followlinks=False):
        folders[:] = sorted(name for name in folders if name not in _SKIPPED)
        files += [Path(parent, name) for name in sorted(names)
                  if name.endswith(".dvc") and name != ".dvc"]
        if len(files) >= _MAX_POINTERS:
            break
    return [file for file in files[:_MAX_POINTERS] if not file.is_symlink()]


def dvc_remotes(root: Path, unmapped: list[str]) -> tuple[dict[str, Any], str | None]:
    """The remotes of `.dvc/config` (name -> {url, endpoint_url}) and the default's name."""
    import configparser

    from brain.inputfs import read_input_text
    from brain.spec.data_models import remote_url_problem

    config_file = root / ".dvc" / "config"
    if not config_file.is_file():
        return {}, None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_input_text(config_file, root=root, cap=1 << 16))
    except (configparser.Error, BrainError):
        unmapped.append(".dvc/config: not readable as DVC's INI config; remotes not imported")
        return {}, None
    remotes: dict[str, Any] = {}
    for section in parser.sections():
        words = section.strip("'").split('"')  # DVC writes ['remote "name"']
        if len(words) != 3 or words[0].strip() != "remote":
            continue
        name, options = words[1], parser[section]
        url = options.get("url", "")
        problem = remote_url_problem(url)
        if problem:
            unmapped.append(f".dvc/config: remote {name!r} ({url}) not imported: {problem}")
            continue
        remote: dict[str, Any] = {"url": url}
        if options.get("endpointurl"):
            remote["endpoint_url"] = options["endpointurl"]
        dropped = sorted(set(options) - _REMOTE_KEYS)
        if dropped:
            unmapped.append(f".dvc/config: remote {name!r}: {', '.join(dropped)} not imported "
                            "(credentials and settings come from the environment)")
        remotes[name] = remote
    default = parser.get("core", "remote", fallback=None)
    return remotes, default if default in remotes else None


def data_section(root: Path, outs: list[str], unmapped: list[str]) -> dict[str, Any] | None:
    """brain's `data:` for a DVC project: its pointer files, `outs` and remotes."""
    import re

    from brain.spec.data_models import DATA_NAME_PATTERN, dataset_path_problem

    paths: list[str] = []
    for path in [*pointer_datasets(root, unmapped), *outs]:
        parts = PurePosixPath(path).parts
        clash = next((other for other in paths if PurePosixPath(other).parts[:len(parts)]
                      == parts[:len(PurePosixPath(other).parts)]), None)
        if clash is not None and clash != path:
            unmapped.append(f"{path}: overlaps the dataset {clash}; not a dataset of its own")
        elif clash is None and not dataset_path_problem(path):
            paths.append(path)
    remotes, default = dvc_remotes(root, unmapped)
    if not paths and not remotes:
        return None
    datasets: dict[str, Any] = {}
    for path in paths:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", PurePosixPath(path).name).strip("-._") or "data"
        base, number = name[:60], 2
        while name in datasets:
            name, number = f"{base}-{number}", number + 1
        if re.fullmatch(DATA_NAME_PATTERN, name):
            datasets[name] = {"path": path, **({"remote": default} if default and len(
                remotes) > 1 else {})}
    section: dict[str, Any] = {}
    if datasets:
        section["datasets"] = datasets
    if remotes:
        section["remotes"] = remotes
    return section
