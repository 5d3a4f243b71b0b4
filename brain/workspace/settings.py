"""A workspace's settings: `brain-workspace.yml` at its root, validated and located like a spec."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput, SpecInvalid
from brain.workspace.discovery import WORKSPACE_FILENAME, find_workspace_root

if TYPE_CHECKING:
    from brain.spec.document import Document


@dataclass(frozen=True)
class WorkspaceSettings:
    """Validated `brain-workspace.yml` (see `_settings_model` for the schema)."""

    projects: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    index: str | None = None
    hub: str | None = None


@dataclass(frozen=True)
class Workspace:
    """A workspace root, its settings file (when there is one) and its settings."""

    root: Path
    settings_file: Path | None
    settings: WorkspaceSettings


def open_workspace(start: Path) -> Workspace:
    """The workspace `start` is in, with its settings validated."""
    root = find_workspace_root(start)
    settings_file = root / WORKSPACE_FILENAME
    if not settings_file.is_file():
        return Workspace(root, None, WorkspaceSettings())
    return Workspace(root, settings_file, load_settings(settings_file))


def load_settings(settings_file: Path) -> WorkspaceSettings:
    """Parse and validate a `brain-workspace.yml`; problems are located like a spec's."""
    from pydantic import ValidationError

    from brain.inputfs import InputRefused, read_spec_bytes
    from brain.spec.document import YamlProblem, decode, parse
    from brain.spec.loader import display_path

    shown = display_path(settings_file)
    try:
        document = parse(decode(read_spec_bytes(settings_file)))
    except InputRefused as refused:
        raise InvalidInput(f"{shown}: {refused.reason}", hint=refused.hint) from None
    except YamlProblem as problem:
        where = f"{shown}:{problem.mark.line}:{problem.mark.column}" if problem.mark else shown
        raise SpecInvalid([f"{where}: {problem.message}"],
                          hint=f"fix {WORKSPACE_FILENAME}") from None
    data = document.data if document.data is not None else {}
    model = _settings_model()
    try:
        validated = model.model_validate(data)
    except ValidationError as error:
        raise SpecInvalid(_settings_problems(error, document, model, shown),
                          hint=f"allowed keys in {WORKSPACE_FILENAME}: "
                          f"{', '.join(sorted(model.model_fields))}") from None
    return WorkspaceSettings(**validated.model_dump())


def _settings_model() -> Any:
    from pydantic import BaseModel, ConfigDict, Field

    class Settings(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)

        projects: tuple[str, ...] = Field(
            ("**",),
            description="Globs of project folders, relative to the root (`**` spans folders).")
        exclude: tuple[str, ...] = Field((), description="Globs of folders to leave out.")
        index: str | None = Field(None, description="Default package index URL.")
        hub: str | None = Field(None, description="URL of the team's brain hub.")

    return Settings


def _settings_problems(error: Any, document: Document, model: Any, shown: str) -> list[str]:
    import difflib

    lines = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        field_path = ".".join(str(part) for part in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            mark = document.keys.get(loc, document.mark(loc))
            guess = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            suggestion = f" (did you mean {guess[0]!r}?)" if guess else ""
            message = f"unknown key {loc[-1]!r}{suggestion}"
        else:
            mark = document.mark(loc if loc in document.values else loc[:-1])
            message = f"{item['msg'][0].lower()}{item['msg'][1:]}"
        lines.append(f"{shown}:{mark.line}:{mark.column}: {field_path}: {message}")
    return lines
