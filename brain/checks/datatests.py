"""A test module of data tests: a pytest file run in the project's environment, before the
entry point (`when: before`) or after it (the default), each failing test one failure."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from brain.checks.base import AFTER, CheckItem, Problem
from brain.checks.paths import project_file

PYTEST = "pytest==8.3.5"


class TestsCheck:
    """`tests: path/to/test_data.py`."""

    name: ClassVar[str] = "tests"
    __test__ = False  # not a pytest test class, whatever its name

    def owns(self, declared: Mapping[str, Any]) -> bool:
        """A check naming a test module."""
        return declared.get("tests") is not None

    def item(self, declared: Mapping[str, Any], inputs: tuple[str, ...],
             outputs: tuple[str, ...]) -> CheckItem:
        """The typed check (after the run unless `when: before`)."""
        return CheckItem(kind=self.name, target=str(declared.get("tests") or ""),
                         when=str(declared.get("when") or AFTER))

    def problems(self, declared: Mapping[str, Any], inputs: tuple[str, ...],
                 outputs: tuple[str, ...]) -> list[Problem]:
        """A .py module, and none of the table fields."""
        tests = declared.get("tests")
        if tests is None:
            return [Problem("a check needs 'table: FILE' (with 'columns' or 'schema') or "
                            "'tests: MODULE.py'")]
        problems = []
        if not str(tests).endswith(".py"):
            problems.append(Problem(f"{tests!r} is not a Python test module (.py)", "tests"))
        for field in ("columns", "schema_file", "schema"):
            if declared.get(field) is not None:
                shown = "schema" if field == "schema_file" else field
                problems.append(Problem(f"{shown!r} applies to a table check, not to tests",
                                        shown))
        if declared.get("strict"):
            problems.append(Problem("'strict' applies to a table check, not to tests",
                                    "strict"))
        return problems

    def requirements(self, item: CheckItem) -> Mapping[str, str]:
        """pytest."""
        return {"pytest": PYTEST}

    def job(self, item: CheckItem, root: Path) -> dict[str, Any]:
        """The module, resolved inside the project."""
        return {"kind": self.name, "label": item.label, "when": item.when,
                "path": str(project_file(root, item.target, what="test module"))}
