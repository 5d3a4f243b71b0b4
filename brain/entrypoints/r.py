"""`type: r`: an R script run by `Rscript`, values as `--name value` arguments and as
environment variables (`BRAIN_PARAM_<name>`, plus `BRAIN_PARAM_TYPES`), which the helper
shipped with the R templates (`R/brain.R`, see brain/rlang/brain.R) reads back typed."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from brain.entrypoints.base import EntryFields, EntryProblem, EntryType

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot

PARAM_PREFIX = "BRAIN_PARAM_"  # + the parameter's name exactly as declared
TYPES_VARIABLE = "BRAIN_PARAM_TYPES"  # "name:type,name:type" for the typed helper


class REntry(EntryType):
    """`Rscript SCRIPT --name value ...`."""

    name = "r"
    fields = frozenset({"script"})
    schema_rule: ClassVar[dict[str, object] | None] = {"required": ["script"]}

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """A `script:` naming an .R file."""
        if entry.script is None:
            return [EntryProblem("an r entry point needs 'script: path/to/file.R'", None,
                                 key=True)]
        if not entry.script.endswith((".R", ".r")):
            return [EntryProblem(f"expected an .R file, got {entry.script!r}", "script")]
        return []

    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """The argv joined for the record."""
        from brain.render import option_arguments

        argv = ["Rscript", "--no-save", "--no-restore", str(entry.script),
                *option_arguments(values, list(values))]
        return shlex.join(argv), argv

    def variables(self, name: str, entry: EntrySnapshot,
                  values: Mapping[str, Value]) -> Mapping[str, str]:
        """Each value as `BRAIN_PARAM_<name>`, and the declared types."""
        from brain.params import format_value

        found = {f"{PARAM_PREFIX}{key}": value if isinstance(value, str) else format_value(value)
                 for key, value in values.items() if value is not None}
        found[TYPES_VARIABLE] = ",".join(
            f"{key}:{entry.parameters[key].type if key in entry.parameters else 'str'}"
            for key in values)
        return found
