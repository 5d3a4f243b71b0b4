"""The interface every kind of data check implements, and what a check leaves in a record.

A kind (a pandera table check, a pytest module, ...) says which declared checks are its
own, what they need installed in the project's environment, what is wrong with one as
declared (located by `brain validate`), and how the standalone driver (brain.checks.driver,
run inside that environment) is asked to run it. The run core asks through the registry in
brain.checks and never names a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

BEFORE, AFTER = "before", "after"
PASSED, FAILED, ERROR = "passed", "failed", "error"


@dataclass(frozen=True)
class CheckItem:
    """One declared check, in the pydantic-free form the run path reads."""

    kind: str  # a name in brain.checks.KINDS
    target: str  # the table, or the test module (relative to the project)
    when: str  # BEFORE | AFTER
    schema_file: str | None = None
    columns: Mapping[str, Mapping[str, Any]] | None = None
    strict: bool = False

    @property
    def label(self) -> str:
        """How tables and records name the check."""
        if self.kind == "table":
            how = self.schema_file or "inline schema"
            return f"{self.target} ({how})"
        return self.target


@dataclass(frozen=True)
class Failure:
    """One failing value (or a whole-table problem, index None)."""

    column: str | None
    check: str
    value: Any
    index: int | None


@dataclass(frozen=True)
class CheckResult:
    """How one check went."""

    label: str
    kind: str
    when: str
    status: str  # PASSED | FAILED | ERROR
    failure_count: int = 0
    failures: tuple[Failure, ...] = ()  # the first ones (at most the driver's cap)
    message: str | None = None  # an error, or a summary
    rows: int | None = None  # rows checked (tables)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the check passed."""
        return self.status == PASSED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in the run record's `checks`)."""
        data = asdict(self)
        data["failures"] = [asdict(failure) for failure in self.failures]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        """A result read back from a record or the driver; tolerant of missing keys."""
        failures = tuple(
            Failure(column=_text_or_none(item.get("column")), check=str(item.get("check", "")),
                    value=item.get("value"), index=_int_or_none(item.get("index")))
            for item in data.get("failures") or () if isinstance(item, Mapping))
        return cls(label=str(data.get("label", "?")), kind=str(data.get("kind", "?")),
                   when=str(data.get("when", "?")), status=str(data.get("status", ERROR)),
                   failure_count=_int_or_none(data.get("failure_count")) or 0,
                   failures=failures, message=_text_or_none(data.get("message")),
                   rows=_int_or_none(data.get("rows")),
                   seconds=float(data.get("seconds") or 0.0))


@dataclass(frozen=True)
class Problem:
    """A problem with one declared check (field None: the check as a whole)."""

    message: str
    field: str | None = None


@dataclass
class CheckOutcome:
    """Every check of one stage of a run, and whether the run may go on."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(result.ok for result in self.results)

    def summary(self) -> str:
        """One line: which checks failed."""
        failed = [result for result in self.results if not result.ok]
        if not failed:
            return f"{len(self.results)} data check(s) passed"
        named = ", ".join(f"{result.label}: {_count(result)}" for result in failed)
        return f"data check failed: {named}"


class CheckKind(Protocol):
    """One kind of data check (see the module docstring)."""

    name: ClassVar[str]

    def owns(self, declared: Mapping[str, Any]) -> bool:
        """True when the declared check (its JSON form) is of this kind."""
        ...

    def item(self, declared: Mapping[str, Any], inputs: tuple[str, ...],
             outputs: tuple[str, ...]) -> CheckItem:
        """The typed form of a declared check of this kind."""
        ...

    def problems(self, declared: Mapping[str, Any], inputs: tuple[str, ...],
                 outputs: tuple[str, ...]) -> list[Problem]:
        """What is wrong with the declared check beyond field types."""
        ...

    def requirements(self, item: CheckItem) -> Mapping[str, str]:
        """Packages the environment needs to run it (canonical name: requirement line)."""
        ...

    def job(self, item: CheckItem, root: Path) -> dict[str, Any]:
        """What the driver needs to run it (paths resolved inside `root`, or InvalidInput)."""
        ...


def _count(result: CheckResult) -> str:
    if result.status == ERROR:
        return result.message or "could not run"
    noun = "failure" if result.failure_count == 1 else "failures"
    return f"{result.failure_count} {noun}"


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
