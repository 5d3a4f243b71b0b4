from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_app_runs_and_shows_the_last_value() -> None:
    app = AppTest.from_file(APP).run(timeout=30)
    assert not app.exception
    assert app.metric[0].value == "171.03"


def test_changing_periods_changes_the_result() -> None:
    app = AppTest.from_file(APP).run(timeout=30)
    app.slider[1].set_value(1).run(timeout=30)
    assert app.metric[0].value == "100.0"
