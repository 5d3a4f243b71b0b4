from datetime import date

import pytest

from main import greet, main, parse_args


def test_greet_repeats() -> None:
    assert greet("Hi", "Ada", 2) == ["Hi, Ada!", "Hi, Ada!"]


def test_arguments_are_typed() -> None:
    args = parse_args(["--times", "3", "--ds", "2024-02-29"])
    assert args.times == 3
    assert args.ds == date(2024, 2, 29)


def test_main_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--who", "Ada"]) == 0
    assert "Hello, Ada!" in capsys.readouterr().out
