"""Validating many specs at once (`brain validate` over files, projects, or folder trees)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from brain.errors import BrainError, InvalidInput
from brain.paths import display_path, find_project_root, find_spec_file

if TYPE_CHECKING:
    from brain.spec.problems import Problem


class SpecResult(NamedTuple):
    """One spec's outcome: its problems, none when valid."""

    spec_file: Path
    problems: list[Problem]

    @property
    def shown(self) -> str:
        """The spec file as messages name it."""
        return display_path(self.spec_file)

    def lines(self) -> list[str]:
        """One `file:line:col: field: message` line per problem."""
        return [problem.format(self.shown) for problem in self.problems]


class ValidationReport(NamedTuple):
    """The outcome of validating a set of specs."""

    results: list[SpecResult]

    @property
    def valid(self) -> int:
        """How many specs are valid."""
        return sum(1 for r in self.results if not r.problems)

    @property
    def invalid(self) -> int:
        """How many specs have problems."""
        return len(self.results) - self.valid

    @property
    def problem_count(self) -> int:
        """How many problems in all."""
        return sum(len(r.problems) for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "valid": self.valid,
            "invalid": self.invalid,
            "specs": [
                {
                    "path": str(r.spec_file),
                    "valid": not r.problems,
                    "problems": [
                        {
                            "line": p.mark.line if p.mark else None,
                            "column": p.mark.column if p.mark else None,
                            "field": p.field,
                            "message": p.message,
                            "text": p.format(r.shown),
                        }
                        for p in r.problems
                    ],
                }
                for r in self.results
            ],
        }


def spec_files_for(target: Path) -> list[Path]:
    """The specs `target` names: a file, a project folder, or every spec in a tree."""
    from brain.workspace.discovery import discover_spec_files

    if os.path.lexists(target) and not target.is_dir():
        return [target]  # a FIFO or a device too: reading it says why it is refused
    if not target.is_dir():
        raise InvalidInput(f"{display_path(target)}: no such file or folder")
    own = find_spec_file(target)
    if own is not None:
        return [own]
    found = list(discover_spec_files(target))
    if found:
        return found
    root = find_project_root(target)
    if root is not None:
        spec = find_spec_file(root)
        return [spec] if spec else []
    raise InvalidInput(f"no onebrain.yml in or under {display_path(target)}",
                       hint="run `brain generate` to create a project")


def validate_paths(targets: list[Path]) -> ValidationReport:
    """Validate every spec the targets name."""
    report = ValidationReport([])
    seen: set[Path] = set()
    for target in targets:
        for spec_file in spec_files_for(target):
            key = spec_file.resolve()
            if key in seen:
                continue
            seen.add(key)
            report.results.append(SpecResult(spec_file, _problems(spec_file)))
    return report


def _problems(spec_file: Path) -> list[Problem]:
    """The problems of one spec. A spec this brain validated before (same bytes) is answered
    from the run cache without loading pydantic: the rules read nothing but the spec."""
    from brain.runs.snapshot import load_snapshot
    from brain.spec.files import missing_files

    try:
        snapshot = load_snapshot(spec_file)  # loads, validates and caches a spec it has not seen
    except BrainError:
        # The located problems; the models are built already, so this second look is cheap.
        from brain.spec.loader import problems_for

        problems, _ = problems_for(spec_file)
        return problems
    return missing_files(snapshot.root, snapshot.entry_points, spec_file)
