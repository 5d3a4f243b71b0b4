import json
from pathlib import Path

import pytest

import prepare
import train


def test_clean_drops_empty_and_low_rows() -> None:
    rows = [{"x": "0", "y": "1"}, {"x": "1", "y": ""}, {"x": "2", "y": "-5"}]
    assert prepare.clean(rows, min_y=0.0) == [{"x": "0.0", "y": "1.0"}]


def test_fit_recovers_a_line() -> None:
    model = train.fit([(0, 1), (1, 3), (2, 5)])
    assert model == pytest.approx({"slope": 2.0, "intercept": 1.0})


def test_both_steps_end_to_end(tmp_path: Path) -> None:
    raw = Path(__file__).resolve().parent.parent / "data" / "raw.csv"
    clean, model = tmp_path / "clean.csv", tmp_path / "model.json"
    assert prepare.main(["--source", str(raw), "--target", str(clean)]) == 0
    assert train.main(["--source", str(clean), "--target", str(model)]) == 0
    assert json.loads(model.read_text())["slope"] == pytest.approx(2.0, abs=0.2)
