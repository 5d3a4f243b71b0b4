"""Every YAML example in README.md and docs/*.md is a spec `brain validate` and the JSON
schema accept, so the documentation cannot drift from what brain reads. A fragment (no
`name:`) is checked inside the smallest spec around it; files the example names (scripts,
notebooks) are created empty."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import REPO_ROOT, Result

DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def yaml_examples() -> list[tuple[str, str]]:
    """(where, text) of every ```yaml block."""
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        for block in re.finditer(r"^```ya?ml\n(.*?)^```", text, re.S | re.M):
            line = text[: block.start()].count("\n") + 1
            found.append((f"{document.relative_to(REPO_ROOT)}:{line}", block.group(1)))
    return found


EXAMPLES = yaml_examples()


def test_the_documents_have_yaml_examples() -> None:
    assert len(EXAMPLES) >= 3  # the README's spec, R, metrics


@pytest.mark.parametrize(("where", "text"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_every_yaml_example_validates(brain: Callable[..., Result],
                                      make_project: Callable[..., Path], where: str,
                                      text: str) -> None:
    data = yaml.safe_load(text)
    assert isinstance(data, dict), f"{where}: not a mapping"
    if "name" not in data:
        text = "name: doc-example\nversion: 0.1.0\n" + text
    files = {"onebrain.yml": text}
    for entry in (data.get("entry_points") or {}).values():
        for field in ("script", "notebook"):
            if isinstance(entry, dict) and isinstance(entry.get(field), str):
                files[entry[field]] = NOTEBOOK if field == "notebook" else ""
    root = make_project(files)
    result = brain("validate", str(root))
    assert result.exit_code == 0, f"{where}:\n{result.output}"
    # and as an editor checks it, against the published JSON schema
    from tests.scaffold.test_templates import _as_editors_read_it

    schema = json.loads((REPO_ROOT / "onebrain.schema.json").read_text())
    jsonschema.validate(_as_editors_read_it(text), schema)
