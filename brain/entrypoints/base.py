"""The interface every entry point type implements (shell, bash, python, notebook, app, ...).

An entry point type owns everything that differs between kinds of entry point: which spec
fields it takes and how they are checked, how a declared entry point and its typed values
become the argv of a run, what it needs installed in the environment, what it needs of the
backend, what it leaves behind (a report), and whether it runs until stopped. The core
(brain.runs, brain.envs, brain.share) asks these questions through the registry in
brain.entrypoints and never names a type.
"""

from __future__ import annotations

import shlex
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple, Protocol

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.params import Value
    from brain.run_plan import EntrySnapshot, RunPlan
    from brain.runs.record import RunRecord

# The spec fields whose meaning depends on the type; each type says which it takes.
TYPED_FIELDS = frozenset({"command", "script", "module", "notebook", "port", "kernel"})


class EntryFields(Protocol):
    """The type-specific fields of a declared entry point (the spec model or its snapshot)."""

    @property
    def type(self) -> str: ...
    @property
    def command(self) -> str | None: ...
    @property
    def script(self) -> str | None: ...
    @property
    def module(self) -> str | None: ...
    @property
    def notebook(self) -> str | None: ...
    @property
    def port(self) -> int | None: ...
    @property
    def kernel(self) -> str | None: ...


class BackendTraits(Protocol):
    """What an entry point type may need to know of the backend it runs in."""

    @property
    def name(self) -> str: ...
    @property
    def keeps_run_files(self) -> bool:
        """True when files a run writes into the project folder are there after it ends."""
        ...


class EntryProblem(NamedTuple):
    """A problem with one declared entry point, found by its type's `check`."""

    message: str
    field: str | None = None  # the field at fault; None: the entry point as a whole
    key: bool = False  # point at the key (a field missing or not applying), not the value


class Produced(NamedTuple):
    """What a finished run of an entry point left behind, beyond its record."""

    report: Path | None = None  # a rendered report (a notebook's HTML)
    message: str | None = None  # why a failed run failed, when the type knows more


class EntryType(ABC):
    """One kind of entry point. Subclass it, then `brain.entrypoints.register` an instance."""

    name: ClassVar[str]
    fields: ClassVar[frozenset[str]]  # the members of TYPED_FIELDS this type takes
    # What JSON Schema can say of those fields (onebrain.schema.json applies it when `type`
    # names this type), so an editor flags what `check` would: e.g. {"required": [...]}.
    schema_rule: ClassVar[dict[str, object] | None] = None
    long_running: ClassVar[bool] = False  # runs until stopped: never a prerequisite
    produces_report: ClassVar[bool] = False  # after_run leaves a report
    json_parameters: ClassVar[bool] = False  # takes `type: json` parameters (parsed values)
    # How the rendered `command` is read: by `bash -c` (True) or split like `shlex.split`
    # (False); the renderer checks every value lands as data in that reading.
    bash_command: ClassVar[bool] = False
    # Packages the project's environment needs for this type to run (canonical name: line).
    requirements: ClassVar[Mapping[str, str]] = {}

    def check(self, entry: EntryFields) -> list[EntryProblem]:
        """The entry point's type-specific problems (beyond fields that do not apply)."""
        return []

    @abstractmethod
    def command(self, name: str, entry: EntrySnapshot,
                values: Mapping[str, Value]) -> tuple[str, list[str]]:
        """(command text for the record and the cache key, argv) running entry point `name`."""

    def variables(self, name: str, entry: EntrySnapshot,
                  values: Mapping[str, Value]) -> Mapping[str, str]:
        """Environment variables the run needs because of its type (env.variables win)."""
        return {}

    def port(self, name: str, entry: EntrySnapshot, values: Mapping[str, Value]) -> int | None:
        """The port a long-running entry point serves on (brain waits for it), else None."""
        return None

    def prepare(self, plan: RunPlan, backend: BackendTraits) -> None:
        """InvalidInput when `plan` cannot run with `backend` (called before anything runs)."""
        return None  # most types run anywhere

    def after_run(self, plan: RunPlan, record: RunRecord) -> Produced:
        """Collect what the finished run `record` left behind."""
        return Produced()


def rendered_command(name: str, entry: EntrySnapshot, values: Mapping[str, Value],
                     *, bash: bool) -> str:
    """The entry point's `command` template rendered with `values`, each value one piece of
    data in the way the command is read (`bash -c` when `bash`, else split like shlex)."""
    from brain.render import TemplateProblem, render_command

    try:
        return render_command(entry.command or "", values, bash=bash)
    except TemplateProblem as problem:
        raise InvalidInput(f"entry point {name!r}: {problem}",
                           hint="`brain validate` checks every command template") from None


def split_command(name: str, rendered: str) -> list[str]:
    """The argv of a rendered command, split as a shell would (but never run by one)."""
    try:
        argv = shlex.split(rendered)
    except ValueError as error:  # an unbalanced quote written in the template itself
        raise InvalidInput(f"entry point {name!r}: the rendered command does not split into "
                           f"arguments ({error}): {rendered}",
                           hint="check the quotes in the command, or use type: bash") from None
    if not argv:
        raise InvalidInput(f"entry point {name!r}: the command renders to nothing")
    return argv


def needs_command(entry: EntryFields) -> list[EntryProblem]:
    """The problem of a command-template entry point without a command."""
    if (entry.command or "").strip():
        return []
    if entry.command is not None:
        return [EntryProblem(f"a {entry.type} entry point needs a command", "command")]
    return [EntryProblem(f"a {entry.type} entry point needs a command", None, key=True)]
