"""`type: shell`: a command template rendered, split into argv, run without a shell."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from brain.entrypoints.base import (
    EntryFields,
    EntryProblem,
    EntryType,
    needs_command,
    rendered_command,
    split_command,
)

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot


class ShellEntry(EntryType):
    """argv from the rendered template; no shell in between."""

    name = "shell"
    fields = frozenset({"command"})

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """A command is required."""
        return needs_command(entry)

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """The rendered text, split as a shell would."""
        rendered = rendered_command(name, entry, values, bash=False)
        return rendered, split_command(name, rendered)
