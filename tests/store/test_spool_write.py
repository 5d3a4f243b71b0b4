"""brain.store.spool_write: a runs row written as json.dumps(row, sort_keys=True) writes it,
without importing json; the file appears whole or not at all."""

from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brain.errors import EXIT_INTERRUPTED
from brain.runs import outcome
from brain.store.spool_write import dumps_row, write_row

FLAT = st.one_of(st.none(), st.text(), st.integers(), st.floats(allow_nan=False,
                                                                allow_infinity=False))
ANY = st.one_of(FLAT, st.booleans(), st.floats(), st.lists(st.integers(), max_size=3),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@given(st.dictionaries(st.text(), FLAT))
def test_a_flat_row_is_written_as_json_writes_it(row: dict[str, object]) -> None:
    assert dumps_row(row) == json.dumps(row, sort_keys=True)


@given(st.dictionaries(st.text(), ANY))
def test_any_other_value_is_written_by_json_itself(row: dict[str, object]) -> None:
    written = dumps_row(row)
    assert written == json.dumps(row, sort_keys=True)
    parsed = json.loads(written)
    assert set(parsed) == set(row)
    assert all(parsed[k] == v or (isinstance(v, float) and math.isnan(v))
               for k, v in row.items())


def test_a_row_is_renamed_into_place_whole(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        name = write_row(fd, {"id": "1a2b", "status": "running", "pid": 7}, "start")
        with pytest.raises(ValueError, match="not a spool file kind"):
            write_row(fd, {"id": "1a2b"}, "middle")
    finally:
        os.close(fd)
    assert name == "1a2b.start.json"
    assert json.loads((tmp_path / name).read_text())["pid"] == 7
    assert sorted(path.name for path in tmp_path.iterdir()) == [name]  # no temporary left


def test_a_link_where_the_temporary_goes_is_never_written_through(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("untouched\n")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # A link at the final name is replaced by the rename, never followed.
        (tmp_path / "1a2b.end.json").symlink_to(target)
        write_row(fd, {"id": "1a2b"}, "end")
    finally:
        os.close(fd)
    assert target.read_text() == "untouched\n"
    assert not (tmp_path / "1a2b.end.json").is_symlink()


def test_the_run_outcome_constants_are_the_platforms() -> None:
    assert outcome.EXIT_INTERRUPTED == EXIT_INTERRUPTED
    assert outcome._SIGINT == signal.SIGINT
    assert outcome.outcome_of(0, None) == ("succeeded", 0, 0)
    assert outcome.outcome_of(2, None) == ("failed", 2, 2)
    assert outcome.outcome_of(130, signal.SIGINT) == ("interrupted", 130, 130)
    assert outcome.outcome_of(-15, signal.SIGTERM) == ("interrupted", 143, 143)
