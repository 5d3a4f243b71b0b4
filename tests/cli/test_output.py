"""brain.cli.output's progress on a terminal: eager starts its spinner at once; lazy waits for a
phrase, so a no-op `setup-deps` shows nothing and loads no rich."""

from __future__ import annotations

import io
import sys

import pytest

from brain.cli import output


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch: pytest.MonkeyPatch) -> _Terminal:
    """stderr as a terminal (in the test itself: pytest puts its capture back after fixtures)."""
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return stream


def test_a_lazy_progress_told_nothing_starts_no_spinner(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _terminal(monkeypatch)
    monkeypatch.setattr(output, "console", lambda **_: pytest.fail("the spinner was started"))
    with output.progress("setup-deps", lazy=True) as progress:
        assert callable(progress)
    assert terminal.getvalue() == ""


def test_an_eager_progress_starts_its_spinner_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _terminal(monkeypatch)
    started: list[str] = []

    class Spinner:
        def __init__(self, text: str) -> None:
            started.append(text)

        def start(self) -> None:
            started.append("start")

        def stop(self) -> None:
            started.append("stop")

    class Console:
        def status(self, text: str, spinner: str) -> Spinner:
            return Spinner(text)

    monkeypatch.setattr(output, "console", lambda **_: Console())
    with output.progress("lock"):
        assert started == ["lock...", "start"]
    assert started == ["lock...", "start", "stop"]
