"""Fixtures for the store tests: records, and old store files made by the brain before the
store moved to SQLAlchemy (tests/store/data, written by that brain's own code)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brain.runs.record import RunRecord
from tests.runs.conftest import record_fields

DATA = Path(__file__).parent / "data"


@pytest.fixture
def make_record() -> Callable[..., RunRecord]:
    """make_record(parameters={...}, status="failed", ...) -> RunRecord (not stored)."""
    return lambda **overrides: RunRecord(**record_fields(**overrides))


@pytest.fixture
def old_home(isolated: Path) -> Path:
    """BRAIN_HOME holding a brain.db (3 runs) and hub/launches.db (2 launches) as the
    previous brain wrote them."""
    shutil.copy(DATA / "brain-v2.db", isolated / "brain.db")
    (isolated / "hub").mkdir()
    shutil.copy(DATA / "launches-before-0002.db", isolated / "hub" / "launches.db")
    return isolated


def counts(url_or_path: Any) -> dict[str, int]:
    """Rows per table of a store, read back through the store's own code."""
    from brain.runs.store import RunStore
    from brain.store.integrity import check_store

    with RunStore(url_or_path) as store:
        return check_store(store.database).counts
