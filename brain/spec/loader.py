"""Loading a spec file: bytes -> Document -> validated Spec, every problem reported at once."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from brain.errors import InvalidInput, SpecInvalid
from brain.paths import SPEC_FILENAMES, find_spec_file
from brain.spec import checks
from brain.spec.document import Document, FieldPath, YamlProblem, decode, parse
from brain.spec.models import PARAM_TYPE_ALIASES, EntryPoint, Env, Parameter, Spec
from brain.spec.problems import Problem, from_validation_error

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Project:
    """A loaded, valid project: its folder, its spec file, the spec and its content hash."""

    root: Path
    spec_file: Path
    spec: Spec
    spec_hash: str
    document: Document


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is inside it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(absolute)


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
    if os.path.lexists(target):  # a FIFO or a device too: reading it says why it is refused
        return target
    raise InvalidInput(f"{display_path(target)}: no such file or folder")


def problems_for(spec_file: Path) -> tuple[list[Problem], Project | None]:
    """Every problem in `spec_file`, and the Project when there are none."""
    from brain.inputfs import InputRefused, read_spec_bytes

    try:
        raw = read_spec_bytes(spec_file)
    except InputRefused as refused:
        return [Problem(None, (), refused.reason)], None
    try:
        document = parse(decode(raw), collect=True)
    except YamlProblem as problem:
        return [Problem(problem.mark, problem.path, problem.message)], None
    problems, spec = check_document(document)
    if spec is None:
        return problems, None
    root = spec_file.parent.resolve()
    digest = hashlib.sha256(raw).hexdigest()
    return [], Project(root, spec_file.resolve(), spec, digest, document)


def check_document(document: Document) -> tuple[list[Problem], Spec | None]:
    """Every problem in a parsed spec, in file order, and the Spec when there are none.

    The top level, each entry point and each parameter are validated on their own, so that
    a type error in one place does not hide a template, default or cycle problem elsewhere.
    """
    problems = [Problem(p.mark, p.path, p.message) for p in document.problems]
    data: dict[str, Any] = document.data
    _variables_as_written(data, document)
    raw_entries = data.get("entry_points")
    split = isinstance(raw_entries, dict)
    top = {k: v for k, v in data.items() if k != "entry_points"} if split else data
    spec, found = _validated(Spec, top, document, ())
    problems += found
    env = spec.env if spec else _validated(Env, data.get("env", {}), document, ("env",))[0]
    if env is not None:
        problems += checks.check_env(env, document)
    if isinstance(raw_entries, dict):
        names = [str(name) for name in raw_entries]
        problems += checks.check_entry_names(names, document)
        entries: dict[str, EntryPoint] = {}
        for name, raw in raw_entries.items():
            entry, found = _check_entry(name, raw, names, document)
            problems += found
            if entry is not None:
                entries[name] = entry
        problems += checks.check_dependency_cycles(entries, document)
    if problems:
        return sorted(dict.fromkeys(problems), key=Problem.sort_key), None
    # Each part is valid: the whole validates (and, should it not, that is reported too).
    whole, problems = _validated(Spec, data, document, ())
    return problems, whole


def _validated(
    model: type[M], raw: Any, document: Document, prefix: FieldPath
) -> tuple[M | None, list[Problem]]:
    try:
        return model.model_validate(raw), []
    except ValidationError as error:
        return None, from_validation_error(error, document, prefix)


def _check_entry(name: str, raw: Any, entry_names: list[str], document: Document
                 ) -> tuple[EntryPoint | None, list[Problem]]:
    base: FieldPath = ("entry_points", name)
    raw_params = raw.get("parameters") if isinstance(raw, dict) else None
    split = isinstance(raw_params, dict)
    body = {k: v for k, v in raw.items() if k != "parameters"} if split else raw
    entry, problems = _validated(EntryPoint, body, document, base)
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    declared = list(params)
    for param_name, raw_param in params.items():
        path = (*base, "parameters", param_name)
        problems += checks.check_parameter_name(document, path)
        raw_param, found = _parameter_as_written(raw_param, document, path)
        params[param_name] = raw_param  # the whole spec is validated from `data` at the end
        problems += found
        param, found = _validated(Parameter, raw_param, document, path)
        problems += found
        if param is not None:
            problems += checks.check_parameter(document, path, param)
    if entry is not None:
        problems += checks.check_entry(name, entry, declared, entry_names, document)
    return entry, problems


def _variables_as_written(data: dict[str, Any], document: Document) -> None:
    """Environment variables get the text the user wrote: `TZ: on` is "on", `V: 1.10` "1.10"."""
    env = data.get("env")
    variables = env.get("variables") if isinstance(env, dict) else None
    if isinstance(variables, dict):
        env["variables"] = {  # type: ignore[index]  # checked a dict just above
            key: document.as_written(("env", "variables", key), value)
            for key, value in variables.items()}


def _parameter_as_written(raw: Any, document: Document, path: FieldPath
                          ) -> tuple[Any, list[Problem]]:
    """A text-typed parameter's default (and choices) as written: `default: NO` stays "NO".

    A choice keeps its YAML value where it reads back the same (`3`, `true`), else its text
    (`1.10`, `0x1F`, `True`). A null default of a text type is ambiguous: asked to quote.
    """
    from brain.params import format_value

    if not isinstance(raw, dict):
        return raw, []
    kind = PARAM_TYPE_ALIASES.get(str(raw.get("type", "str")), str(raw.get("type", "str")))
    if kind not in ("str", "path", "uri", "choice"):
        return raw, []
    raw = dict(raw)
    problems = []
    where = (*path, "default")
    if raw.get("default") is None and where in document.sources:
        written = document.sources[where]
        problems.append(Problem(document.mark(where), where, (
            f"{written or 'an empty value'} is YAML's null (no default) for a {kind} "
            f"parameter: write '{written}' in quotes for that text, or leave 'default' out")))
        raw.pop("default")

    def keep(value: Any, at: FieldPath) -> Any:
        if isinstance(value, str) or at not in document.sources:
            return value
        written = document.sources[at]
        if kind != "choice" or written != format_value(value):
            return written
        return value

    if "default" in raw:
        raw["default"] = keep(raw["default"], where)
    if isinstance(raw.get("choices"), list):
        raw["choices"] = [keep(choice, (*path, "choices", index))
                          for index, choice in enumerate(raw["choices"])]
    return raw, problems


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
