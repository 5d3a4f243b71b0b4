"""Records go into SQLite and PostgreSQL and come back identical (a hypothesis property),
huge values included; what no store can keep the same is refused before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brain.errors import InvalidInput
from brain.runs.record import STATUSES, GitState, RunRecord
from brain.runs.store import RunStore, new_run_id
from brain.runs.store_schema import MAX_TEXT
from tests.postgres import PostgresServer

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=60)
_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
_VALUE = st.one_of(st.integers(-(2**63), 2**63 - 1), _FLOAT, st.booleans(), _TEXT,
                   st.none())
_MAYBE = st.one_of(st.none(), _TEXT)


@st.composite
def records(draw: st.DrawFn) -> RunRecord:
    started = draw(st.floats(0, 4e9))
    return RunRecord(
        id=new_run_id(), namespace=draw(_TEXT), project=draw(_TEXT), version=draw(_TEXT),
        project_path=draw(_TEXT), entry_point=draw(_TEXT),
        parameters=draw(st.dictionaries(_TEXT, _VALUE, max_size=5)), command=draw(_TEXT),
        backend=draw(_TEXT), env_identity=draw(_TEXT), spec_hash=draw(_TEXT),
        python_version=draw(_MAYBE), host=draw(_TEXT), user=draw(_TEXT),
        pid=draw(st.integers(0, 2**31 - 1)), started_at=started,
        git=GitState(draw(_MAYBE), draw(_MAYBE), draw(_MAYBE),
                     draw(st.one_of(st.none(), st.booleans()))),
        ended_at=draw(st.one_of(st.none(), st.floats(started, 4e9))),
        status=draw(st.sampled_from(STATUSES)),
        exit_code=draw(st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1))),
        stdout_log=draw(_MAYBE), stderr_log=draw(_MAYBE), origin=draw(_MAYBE),
        extra=draw(st.dictionaries(_TEXT, _VALUE, max_size=4)))


@pytest.fixture(scope="module")
def both(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[tuple[RunStore, RunStore]]:
    folder = tmp_path_factory.mktemp("round-trip")
    with RunStore(folder / "runs.db") as lite, RunStore(postgres.database()) as shared:
        yield lite, shared


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records())
def test_a_record_reads_back_identical_from_both_stores(both, record):
    lite, shared = both
    for store in (lite, shared):
        store.insert(record)
    from_lite, from_shared = lite.get(record.id), shared.get(record.id)
    assert from_lite == from_shared
    expected = RunRecord(**record._asdict())
    assert from_lite.parameters == record.parameters and from_lite.extra == record.extra
    assert (from_lite.started_at, from_lite.ended_at, from_lite.git) == \
        (expected.started_at, expected.ended_at, expected.git)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_huge_values_round_trip_and_past_the_cap_are_refused(kind, both, tmp_path: Path):
    from tests.runs.conftest import record_fields

    store = both[0] if kind == "sqlite" else both[1]
    big = RunRecord(**record_fields(command="x" * (MAX_TEXT - 1),
                                    parameters={"blob": "y" * 500_000}))
    store.insert(big)
    found = store.get(big.id)
    assert found.command == big.command and found.parameters == big.parameters
    before = store.count()
    for hostile in ({"command": "z" * (MAX_TEXT + 1)}, {"project": "a\x00b"},
                    {"parameters": {"k": "v" * (MAX_TEXT + 1)}},
                    # a folder whose name is not UTF-8, as Python reads it (surrogateescape)
                    {"project_path": b"/work/caf\xe9".decode("utf-8", "surrogateescape")}):
        with pytest.raises(InvalidInput, match="not recorded"):
            store.insert(RunRecord(**record_fields(**hostile)))
    assert store.count() == before
