"""The JSON schema of onebrain.yml, generated from the models (never hand-edited)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def spec_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) for onebrain.yml."""
    from brain.spec.models import Spec

    schema = Spec.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema as the text committed in `onebrain.schema.json`."""
    return json.dumps(spec_schema(), indent=2, sort_keys=False) + "\n"


SCHEMA_FILE = "onebrain.schema.json"
_SCHEMA_LINE = re.compile(r"^(#\s*yaml-language-server:\s*\$schema=)(\S*)[ \t]*$", re.MULTILINE)


def schema_location() -> str:
    """Where generated specs point their editor: BRAIN_SCHEMA_URL (`{version}` in it becomes
    brain's version, for a versioned address), else the project's own copy of the schema.

    A path relative to the spec is the one reference that resolves in any fresh clone of the
    project: `place_schema` writes that copy into the new project.
    """
    from brain import __version__
    from brain.settings import text

    configured = text("BRAIN_SCHEMA_URL")
    return configured.replace("{version}", __version__) if configured else SCHEMA_FILE


def shipped_schema() -> Path | None:
    """The schema file shipped with brain (the repository root in a development install)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / SCHEMA_FILE, package.parent / SCHEMA_FILE):
        if candidate.is_file():
            return candidate
    return None


def place_schema(project: Path) -> None:
    """Copy brain's schema into `project` when its specs point at a project-relative copy."""
    import shutil

    shipped = shipped_schema()
    if schema_location() == SCHEMA_FILE and shipped is not None:
        shutil.copyfile(shipped, project / SCHEMA_FILE)


def repoint_schema(text: str) -> tuple[str, bool]:
    """`text` (a spec) with a local `$schema=` reference (a path that resolved where the spec
    came from) replaced by `schema_location()`; and whether it was replaced. Addresses
    (`https://...`) are kept."""
    found = _SCHEMA_LINE.search(text)
    if found is None or "://" in found.group(2):
        return text, False
    start, end = found.span(2)
    return text[:start] + schema_location() + text[end:], True
