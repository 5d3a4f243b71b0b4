"""Fixtures for the scaffolding tests: user templates on BRAIN_TEMPLATES_PATH."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def user_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write a template under a folder on BRAIN_TEMPLATES_PATH: make(name, {path: text})."""
    folder = tmp_path / "user-templates"
    folder.mkdir()
    monkeypatch.setenv("BRAIN_TEMPLATES_PATH", str(folder))

    def make(name: str, files: dict[str, str], *, metadata: str = "description: test\n") -> Path:
        root = folder / name
        root.mkdir()
        (root / "template.yml").write_text(metadata)
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"))
        return root

    return make

