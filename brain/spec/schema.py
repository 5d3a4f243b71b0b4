"""The JSON schema of onebrain.yml, generated from the models (never hand-edited)."""

from __future__ import annotations

import json
from typing import Any


def spec_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) for onebrain.yml."""
    from brain.spec.models import Spec

    schema = Spec.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    """The schema as the text committed in `onebrain.schema.json`."""
    return json.dumps(spec_schema(), indent=2, sort_keys=False) + "\n"


def schema_location() -> str:
    """Where generated specs point their editor: `BRAIN_SCHEMA_URL`, else brain's own copy.

    brain ships `onebrain.schema.json` inside the package (the repository root in a
    development install), so the reference resolves on any machine where brain is installed;
    a team that hosts the schema sets BRAIN_SCHEMA_URL to that address instead.
    """
    import os
    from pathlib import Path

    configured = os.environ.get("BRAIN_SCHEMA_URL")
    if configured:
        return configured
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "onebrain.schema.json", package.parent / "onebrain.schema.json"):
        if candidate.is_file():
            return str(candidate)
    return "onebrain.schema.json"
