"""Metrics files: a flat JSON object of numbers, read defensively (size, symlinks, types)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from brain.runs.metrics import MAX_BYTES, parse_metrics, read_metrics


def test_a_flat_object_of_numbers_is_read(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"rmse": 0.25, "n": 3}')
    found = read_metrics("m.json", tmp_path, tmp_path)
    assert found.values == {"rmse": 0.25, "n": 3}
    assert found.warnings == ()


def test_the_run_folder_wins_over_the_project_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / ".brain" / "runs" / "abc"
    run_dir.mkdir(parents=True)
    (tmp_path / "m.json").write_text('{"which": 1}')
    (run_dir / "m.json").write_text('{"which": 2}')
    assert read_metrics("m.json", tmp_path, tmp_path, str(run_dir)).values == {"which": 2}
    (run_dir / "m.json").unlink()
    assert read_metrics("m.json", tmp_path, tmp_path, str(run_dir)).values == {"which": 1}


def test_missing_file_is_a_warning(tmp_path: Path) -> None:
    found = read_metrics("m.json", tmp_path, tmp_path)
    assert found.values == {}
    assert "was not written" in found.warnings[0]


def test_a_symlink_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('{"secret": 42}')
    root = tmp_path / "project"
    root.mkdir()
    os.symlink(outside, root / "m.json")
    found = read_metrics("m.json", root, root)
    assert found.values == {}
    assert "outside the project" in found.warnings[0]


def test_dotdot_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text('{"secret": 42}')
    root = tmp_path / "project"
    root.mkdir()
    assert read_metrics("../secret.json", root, root).values == {}


def test_a_symlink_loop_is_a_warning(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b.json", tmp_path / "a.json")
    os.symlink(tmp_path / "a.json", tmp_path / "b.json")
    found = read_metrics("a.json", tmp_path, tmp_path)
    assert found.values == {}
    assert found.warnings


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    with open(tmp_path / "m.json", "w") as handle:
        handle.write('{"a": ' + " " * (MAX_BYTES * 3) + "1}")
    found = read_metrics("m.json", tmp_path, tmp_path)
    assert found.values == {}
    assert "larger than" in found.warnings[0]


def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "m.json").mkdir()
    found = read_metrics("m.json", tmp_path, tmp_path)
    assert found.values == {} and "cannot be read" in found.warnings[0]


def test_nan_and_infinity_are_refused() -> None:
    assert parse_metrics('{"a": NaN}').values == {}
    assert parse_metrics('{"a": Infinity, "b": 1}').values == {}
    assert parse_metrics('{"a": 1e999, "b": 1}').values == {"b": 1}  # parses as inf: dropped


def test_non_numbers_are_dropped_with_a_warning() -> None:
    found = parse_metrics('{"ok": 1.5, "text": "x", "flag": true, "nested": {"a": 1}, "n": null}')
    assert found.values == {"ok": 1.5}
    assert "4 value(s)" in found.warnings[0]


def test_not_an_object() -> None:
    for text in ("[1, 2]", "3", '"x"', "not json", "", '{"a": 1'):
        found = parse_metrics(text)
        assert found.values == {}
        assert found.warnings


def test_deep_nesting_does_not_crash() -> None:
    found = parse_metrics("[" * 100_000 + "]" * 100_000)
    assert found.values == {}


@given(st.dictionaries(st.text(max_size=20),
                       st.one_of(st.integers(), st.floats(), st.booleans(), st.text(), st.none()),
                       max_size=20))
def test_only_finite_numbers_survive(data: dict[str, object]) -> None:
    text = json.dumps(data)  # NaN/Infinity written as the non-standard tokens
    found = parse_metrics(text)
    for name, value in found.values.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool)
        assert math.isfinite(value)
        assert data[name] == value
    if "NaN" not in text and "Infinity" not in text:
        expected = {k: v for k, v in data.items() if isinstance(v, (int, float))
                    and not isinstance(v, bool)}
        assert found.values == expected
