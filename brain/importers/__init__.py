"""`brain import`: an onebrain.yml from another tool's project files (MLflow's MLproject,
DVC's dvc.yaml, pyproject.toml scripts and tasks, an R project, a folder of notebooks). One
module per source format, each an `Importer` (brain.importers.base); the files read are
untrusted: bounded, contained, parsed safely."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.importers.base import Imported, Importer

SOURCES: dict[str, str] = {
    "mlproject": "brain.importers.mlproject:MLprojectImporter",
    "dvc": "brain.importers.dvc:DvcImporter",
    "pyproject": "brain.importers.pyproject:PyprojectImporter",
    "r": "brain.importers.rproject:RImporter",
    "notebooks": "brain.importers.notebooks:NotebooksImporter",
}


def importer(name: str) -> Importer:
    """The importer for source format `name`."""
    if name not in SOURCES:
        raise InvalidInput(f"unknown source {name!r} (known: {', '.join(SOURCES)})")
    module, attribute = SOURCES[name].split(":")
    made: Importer = getattr(import_module(module), attribute)()
    return made


def import_project(root: Path, source: str | None = None) -> Imported:
    """What the project at `root` becomes: from `source`, else the first format found."""
    if not root.is_dir():
        raise InvalidInput(f"{root}: no such folder")
    names = [source] if source is not None else list(SOURCES)
    for name in names:
        chosen = importer(name)
        if chosen.detect(root):
            return chosen.read(root)
    if source is not None:
        raise InvalidInput(f"{root}: no {source} project here ({importer(source).looks_for})")
    raise InvalidInput(f"{root}: nothing to import (no MLproject, dvc.yaml, "
                       "pyproject.toml scripts, R project files or notebooks)",
                       hint="pass --from mlproject|dvc|pyproject|r|notebooks to say what it is")


def spec_text(imported: Imported) -> str:
    """The onebrain.yml text of `imported`, with the schema line editors read."""
    import yaml

    from brain.spec.schema import schema_location

    head = f"# yaml-language-server: $schema={schema_location()}\n"
    note = f"# Imported by `brain import` from {imported.source}; check it, then `brain run`.\n"
    body = yaml.safe_dump(imported.spec, sort_keys=False, allow_unicode=True, width=100)
    return head + note + body
