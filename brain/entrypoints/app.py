"""`type: app`: a long-running server started like a shell entry point; brain waits for its
port to answer and keeps it running until it is stopped."""

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
from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot


class AppEntry(EntryType):
    """A server: never a prerequisite, never cached, its port published."""

    name = "app"
    fields = frozenset({"command", "port"})
    long_running = True

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """A command is required."""
        return needs_command(entry)

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """The rendered text, split as a shell would."""
        rendered = rendered_command(name, entry, values, bash=False)
        return rendered, split_command(name, rendered)

    def port(self, name: str, entry: EntrySnapshot, values: Mapping[str, Value]) -> int:
        """The `port` parameter when declared, else the entry point's `port`."""
        if "port" in values:
            port = values["port"]
            if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
                return port
            raise InvalidInput(f"entry point {name!r}: port {port!r} is not a TCP port "
                               "(1-65535)", hint="declare the port parameter as type: int")
        if entry.port is not None:
            return entry.port
        raise InvalidInput(f"app entry point {name!r} has no port",
                           hint="add `port: 8000` to the entry point, or a `port` int parameter")
