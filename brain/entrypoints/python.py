"""`type: python`: a script or a module run by the environment's python, values as options."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from brain.entrypoints.base import EntryFields, EntryProblem, EntryType

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot


class PythonEntry(EntryType):
    """`python SCRIPT --name value ...` or `python -m MODULE --name value ...`."""

    name = "python"
    fields = frozenset({"script", "module"})
    schema_rule: ClassVar[dict[str, object] | None] = {
        "oneOf": [{"required": ["script"]}, {"required": ["module"]}]}

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """Exactly one of `script` and `module`."""
        if (entry.script is None) != (entry.module is None):
            return []
        if entry.script is not None:
            return [EntryProblem("a python entry point takes 'script' or 'module', not both",
                                 "module", key=True)]
        return [EntryProblem("a python entry point needs 'script: path/to/file.py' or "
                             "'module: package.name'", None, key=True)]

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """The argv joined for the record."""
        from brain.render import option_arguments

        head = ["python", entry.script] if entry.script else ["python", "-m", str(entry.module)]
        argv = head + option_arguments(values, list(values))
        return shlex.join(argv), argv
