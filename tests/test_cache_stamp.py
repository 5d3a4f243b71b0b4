"""brain.cache_stamp: the stamp of brain's validating code, read once a process but still
keyed by what can change in it (the registered entry point types), and files_stamp."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brain import cache_stamp
from brain.cache_stamp import files_stamp, validation_stamp


def test_the_validation_stamp_is_read_once_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    first = validation_stamp()
    monkeypatch.setattr(os, "listdir", lambda *_: pytest.fail("brain's files read again"))
    assert validation_stamp() == first


def test_read_again_it_is_the_same_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    first = validation_stamp()
    monkeypatch.setattr(cache_stamp, "_stamps", {})
    assert validation_stamp() == first


def test_files_stamp_changes_with_an_edited_source(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "brain"
    (package / "spec").mkdir(parents=True)
    source = package / "spec" / "models.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(cache_stamp, "__file__", str(package / "cache_stamp.py"))
    before = files_stamp(("spec/models.py",))
    source.write_text("x = 22\n")
    assert files_stamp(("spec/models.py",)) != before
    assert files_stamp(("spec/models.py",), also="toy") != files_stamp(("spec/models.py",))
