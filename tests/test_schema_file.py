"""The committed onebrain.schema.json is generated from the models and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

SCHEMA_FILE = REPO_ROOT / "onebrain.schema.json"


def test_committed_schema_is_current() -> None:
    from brain.spec.schema import schema_text

    assert SCHEMA_FILE.is_file(), "run `brain schema -o onebrain.schema.json` at the repo root"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "onebrain.schema.json is stale: run `brain schema -o onebrain.schema.json` "
        "at the repo root and commit the result")


def test_committed_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {"name", "version"} <= set(schema["required"])
    assert "tag" in schema["properties"] and "tags" in schema["properties"]
