"""Loading a spec file: bytes -> Document -> validated Spec, every problem reported at once."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from brain.errors import InvalidInput, SpecInvalid
from brain.paths import SPEC_FILENAMES, find_spec_file
from brain.spec.document import Document, YamlProblem, decode, parse
from brain.spec.models import Spec
from brain.spec.problems import Problem, from_validation_error


@dataclass(frozen=True)
class Project:
    """A loaded, valid project: its folder, its spec file, the spec and its content hash."""

    root: Path
    spec_file: Path
    spec: Spec
    spec_hash: str
    document: Document


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def resolve_spec_file(target: Path) -> Path:
    """The spec file for `target`: a spec file itself or a project folder."""
    if target.is_dir():
        found = find_spec_file(target)
        if found is None:
            raise InvalidInput(
                f"no onebrain.yml in {display_path(target)}",
                hint="run `brain generate` to create a project, or pass the project's folder",
            )
        return found
    if target.is_file():
        return target
    raise InvalidInput(f"{display_path(target)}: no such file or folder")


def problems_for(spec_file: Path) -> tuple[list[Problem], Project | None]:
    """Every problem in `spec_file`, and the Project when there are none."""
    try:
        raw = spec_file.read_bytes()
    except OSError as error:
        return [Problem(None, (), f"cannot read the file: {error.strerror}")], None
    try:
        document = parse(decode(raw))
    except YamlProblem as problem:
        return [Problem(problem.mark, problem.path, problem.message)], None
    try:
        spec = Spec.model_validate(document.data)
    except ValidationError as error:
        return from_validation_error(error, document), None
    from brain.spec.checks import check_spec

    found = check_spec(spec, document)
    if found:
        return found, None
    root = spec_file.parent.resolve()
    digest = hashlib.sha256(raw).hexdigest()
    return [], Project(root, spec_file.resolve(), spec, digest, document)


def load_project(target: Path) -> Project:
    """Load and validate the project at `target` (a folder or a spec file).

    Raises SpecInvalid with one `file:line:col: field: message` line per problem.
    """
    spec_file = resolve_spec_file(target)
    problems, project = problems_for(spec_file)
    if project is None:
        shown = display_path(spec_file)
        raise SpecInvalid(
            [problem.format(shown) for problem in problems],
            hint=f"fix the {'problem' if len(problems) == 1 else 'problems'} above; "
            "`brain schema` prints every allowed key",
        )
    return project


def is_spec_file(path: Path) -> bool:
    """True for files named like a spec."""
    return path.name in SPEC_FILENAMES
