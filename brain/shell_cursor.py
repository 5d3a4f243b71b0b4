"""A cursor over a command's text that knows where substituted values start and end.

The bash reader in `brain.shell_context` walks the text with it; each value gets the first
verdict given to it (a plain word, a kind of quotes, or why it is refused).
"""

from __future__ import annotations

UNVISITED = "where brain cannot tell how bash reads it"


class Confused(Exception):
    """The lexer lost track; every value is refused."""


class SpanCursor:
    """Position `i` in `text`; `spans` are the values' (start, end); `reasons` their verdicts."""

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self.text = text
        self.spans = spans
        self.starts = {start: index for index, (start, _) in enumerate(spans)}
        self.reasons: list[str] = [UNVISITED] * len(spans)
        self.visited: set[int] = set()
        self.heredocs: list[tuple[str, bool]] = []
        self.i = 0

    def mark(self, index: int, reason: str | None) -> None:
        """First verdict wins; `reason` None means a plain word ("" internally)."""
        if index not in self.visited:
            self.visited.add(index)
            self.reasons[index] = "" if reason is None else reason

    def skip_to(self, end: int, reason: str) -> None:
        for start, index in self.starts.items():
            if self.i <= start < end:
                self.mark(index, reason)
        self.i = end

    def at_value(self) -> int | None:
        return self.starts.get(self.i)

    def take_value(self, reason: str | None) -> bool:
        """Mark and step over the value that starts here, if one does."""
        value = self.starts.get(self.i)
        if value is not None:
            self.mark(value, reason)
            self.i = self.spans[value][1]
        return value is not None

    def peek(self, offset: int = 0) -> str:
        position = self.i + offset
        return self.text[position] if position < len(self.text) else ""

    def escape(self, reason: str) -> None:
        """A backslash: the next character is literal (a value's opening quote too)."""
        self.i += 1
        value = self.at_value()
        if value is not None:
            self.mark(value, reason)
        self.i += 1
