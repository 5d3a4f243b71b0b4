"""Every example spec carries the schema comment and validates with brain and with jsonschema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent

SCHEMA_FILE = REPO_ROOT / "onebrain.schema.json"
EXAMPLES = sorted(
    path for pattern in ("examples/*/onebrain.yml", "examples/*/onebrain.yaml")
    for path in REPO_ROOT.glob(pattern)
)
SCHEMA_COMMENT = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$", re.MULTILINE)


def test_there_are_examples() -> None:
    assert EXAMPLES, "examples/ holds no project: add at least one examples/<name>/onebrain.yml"


def as_json_data(spec: Path) -> Any:
    """The spec as a strict validator sees it: read as YAML 1.1 (PyYAML, js-yaml), where an
    unquoted date is a date object no JSON Schema type accepts; JSON refuses it here too."""
    return json.loads(json.dumps(yaml.safe_load(spec.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_names_the_schema(spec: Path) -> None:
    found = SCHEMA_COMMENT.search(spec.read_text(encoding="utf-8"))
    assert found, f"{spec} lacks `# yaml-language-server: $schema=../../onebrain.schema.json`"
    target = found.group(1)
    if "://" in target:
        assert target.endswith("onebrain.schema.json"), target
    else:
        assert (spec.parent / target).resolve() == SCHEMA_FILE.resolve(), target


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_validates_with_brain(brain, spec: Path) -> None:
    result = brain("validate", str(spec))
    assert result.exit_code == 0, result.output
    assert "ok:" in result.stdout


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_validates_with_jsonschema(spec: Path) -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(as_json_data(spec))]
    assert not errors, "\n".join(errors)
