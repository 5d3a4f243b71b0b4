"""Checks that look at the project's files: an entry point's `script:` or `notebook:` must be
a file inside the project, so `brain validate` says so before an environment is built.

Kept apart from the spec's own rules because those read nothing but the spec (their answer
is cached by the spec's bytes); these are asked again on every validate.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brain.run_plan import EntrySnapshot
    from brain.spec.document import Document
    from brain.spec.problems import Problem

CHECKED_FIELDS = ("script", "notebook")


def missing_files(root: Path, entries: dict[str, EntrySnapshot], spec_file: Path
                  ) -> list[Problem]:
    """A located problem for each `script:` / `notebook:` that is not a file in `root`."""
    found: list[tuple[str, str, str]] = []
    for name, entry in entries.items():
        for field in CHECKED_FIELDS:
            value = getattr(entry, field, None)
            if value:
                reason = file_problem(root, value)
                if reason is not None:
                    found.append((name, field, reason))
    if not found:
        return []
    from brain.spec.problems import Problem  # loads pydantic: only when there is a problem

    marks = _marks(spec_file)
    problems = []
    for name, field, reason in found:
        path = ("entry_points", name, field)
        problems.append(Problem(marks.mark(path) if marks else None, path, reason))
    return problems


def file_problem(root: Path, value: str) -> str | None:
    """Why `value` (a project-relative path) is not a regular file inside `root`, or None.

    Only metadata is read (realpath, stat), and only for paths that stay inside the project:
    a path that leaves it, by `..` or a symlink, is a problem in itself.
    """
    pure = PurePosixPath(value)
    if value.startswith(("/", "\\")) or ".." in pure.parts:
        return None  # the spec rules report these already
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, value))
    if not (real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)):
        return f"{value!r} leads outside the project (through a symlink); brain does not follow it"
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return f"{value!r} does not exist in the project"
    except OSError as error:
        return f"{value!r} cannot be read: {error.strerror}"
    if not stat.S_ISREG(mode):
        return f"{value!r} is not a regular file"
    return None


def _marks(spec_file: Path) -> Document | None:
    """The parsed spec (for positions), or None when it cannot be read again."""
    from brain.inputfs import InputRefused, read_spec_bytes
    from brain.spec.document import YamlProblem, decode, parse

    try:
        return parse(decode(read_spec_bytes(spec_file)))
    except (InputRefused, YamlProblem):
        return None
