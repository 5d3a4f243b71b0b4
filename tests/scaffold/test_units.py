"""Properties of the pieces: YAML quoting, path checks, renaming, spec edits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from brain.errors import InvalidInput
from brain.scaffold.answers import package_name, slugify
from brain.scaffold.derive import Renamer, set_top_level
from brain.scaffold.sandbox import yaml_scalar
from brain.scaffold.tree import check_relative_path, is_inside


@settings(max_examples=300)
@given(st.text().filter(lambda t: "\n" not in t and "\r" not in t))
def test_yaml_scalar_reads_back_as_the_same_string(text: str) -> None:
    assert yaml.safe_load(f"key: {yaml_scalar(text)}\n") == {"key": text}


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab./\\:-_ \x00")), max_size=12))
def test_an_accepted_path_stays_inside(text: str) -> None:
    root = "/srv/project"
    try:
        checked = check_relative_path(text, where="t")
    except InvalidInput:
        return
    assert is_inside(os.path.normpath(os.path.join(root, str(checked))), root)
    assert ".." not in checked.parts and not checked.is_absolute()


@given(st.from_regex(r"[a-z0-9](?:[a-z0-9._-]{0,20}[a-z0-9])?", fullmatch=True))
def test_package_names_are_identifiers(name: str) -> None:
    assert package_name(name).isidentifier()


def test_slugify() -> None:
    assert slugify("  My Cool_Project! ") == "my-cool_project"
    assert slugify("---") == ""


def test_renamer_keeps_other_words() -> None:
    renamer = Renamer("api", "service")
    assert renamer.text("fastapi api.main api_key my-api API") == (
        "fastapi service.main service_key my-service API")


def test_renamer_spellings() -> None:
    renamer = Renamer("churn-model", "new-model")
    assert renamer.text("churn-model churn_model ChurnModel ChurnModelTrainer CHURN_MODEL_X "
                        "Churn Model churnmodel Churnmodels") == (
        "new-model new_model NewModel NewModelTrainer NEW_MODEL_X New Model newmodel "
        "Churnmodels")


def test_renamer_leaves_binary_content() -> None:
    data = b"\x00churn-model"
    assert Renamer("churn-model", "x").content("f", data) == data
    assert Renamer("churn-model", "x").content("f", "é churn-model".encode()) == "é x".encode()


@pytest.mark.parametrize(("text", "expected"), [
    ("name: a\nversion: 1.2\nx: 1\n", "name: a\nversion: 0.1.0\nx: 1\n"),
    ("name: a\nversion: >-\n  1.2\n\nx: 1\n", "name: a\nversion: 0.1.0\n\nx: 1\n"),
    ("name: a\nx: 1\n", "name: a\nversion: 0.1.0\nx: 1\n"),
    ("name: a", "name: a\nversion: 0.1.0\n"),
])
def test_set_top_level(text: str, expected: str) -> None:
    assert set_top_level(text, "version", "0.1.0") == expected


def test_set_top_level_replaces_a_block_list() -> None:
    text = "name: a\nauthors:\n- x\n- y\n# note\nversion: 1\n"
    edited = set_top_level(text, "authors", "\n  - z")
    assert yaml.safe_load(edited) == {"name": "a", "authors": ["z"], "version": 1}


def test_is_inside(tmp_path: Path) -> None:
    assert is_inside("/a/b", "/a") and is_inside("/a", "/a")
    assert not is_inside("/ab", "/a") and not is_inside("/", "/a")
