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
