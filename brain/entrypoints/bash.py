"""`type: bash`: the rendered command run by `bash -c` (the only shell brain ever starts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from brain.entrypoints.base import (
    EntryFields,
    EntryProblem,
    EntryType,
    needs_command,
    rendered_command,
)

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot


class BashEntry(EntryType):
    """Pipes, redirections and `&&` are the user's to write; values are still quoted."""

    name = "bash"
    fields = frozenset({"command"})
    bash_command = True

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """A command is required."""
        return needs_command(entry)

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """`bash -c RENDERED`."""
        rendered = rendered_command(name, entry, values, bash=True)
        return rendered, ["bash", "-c", rendered]
