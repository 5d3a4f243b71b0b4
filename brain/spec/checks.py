"""Checks that need more than field types: names, templates, defaults, dependencies, paths."""

from __future__ import annotations

import contextlib
import difflib
import itertools
import re
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pydantic import ValidationError

from brain.entrypoints import entry_type
from brain.entrypoints.base import TYPED_FIELDS
from brain.spec.document import Document, Mark
from brain.spec.models import (
    IDENTIFIER_PATTERN,
    EntryPoint,
    Env,
    Parameter,
    entry_name_problem,
    normalize_entry_name,
)
from brain.spec.problems import Problem

if TYPE_CHECKING:
    from brain.params import Value


def check_entry_names(names: list[str], document: Document) -> list[Problem]:
    """Entry point names that are empty or collide after normalisation."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for name in names:
        base = ("entry_points", name)
        normalized = normalize_entry_name(name)
        invalid = entry_name_problem(name)
        if not normalized.strip("-"):
            problems.append(_at(document, base, "an entry point needs a name", key=True))
        elif invalid is not None:
            problems.append(_at(document, base, (
                f"entry point name {name!r} is not valid: {invalid} (names take letters, "
                "digits, spaces, '.', '_' and '-', start with a letter or digit, at most 64 "
                "characters)"), key=True))
        elif normalized in seen:
            problems.append(_at(document, base, (
                f"entry point {name!r} collides with {seen[normalized]!r} (names match "
                "ignoring case, spaces, '-' and '_'); rename one of them"), key=True))
        else:
            seen[normalized] = name
    return problems


def check_env(env: Env, document: Document) -> list[Problem]:
    """The requirements file path and every pip requirement."""
    problems: list[Problem] = []
    if env.python.requirements:
        problems += _check_relative(document, ("env", "python", "requirements"),
                                    env.python.requirements)
    return problems + _check_requirements(env, document)


def _at(document: Document, path: tuple[str | int, ...], message: str, *,
        key: bool = False) -> Problem:
    mark: Mark = document.keys.get(path, document.mark(path)) if key else document.mark(path)
    return Problem(mark, path, message)


def check_entry(name: str, entry: EntryPoint, declared: list[str], entry_names: list[str],
                document: Document) -> list[Problem]:
    """One entry point's own problems; `declared` names its parameters, valid or not."""
    from brain.render import TemplateProblem, referenced_names

    base: tuple[str | int, ...] = ("entry_points", name)
    problems: list[Problem] = []
    kind = entry_type(entry.type)
    allowed = kind.fields
    for field in sorted(TYPED_FIELDS - allowed):
        if getattr(entry, field) is not None:
            takes = " or ".join(repr(f) for f in sorted(allowed))
            problems.append(_at(document, (*base, field), (
                f"{field!r} does not apply to a {entry.type} entry point (it takes {takes}); "
                "remove it or change 'type'"), key=True))
    for problem in kind.check(entry):
        at = (*base, problem.field) if problem.field is not None else base
        problems.append(_at(document, at, problem.message, key=problem.key))
    for field in ("script", "notebook", "metrics"):
        value = getattr(entry, field)
        if value:
            problems += _check_relative(document, (*base, field), value)
    for index, item in enumerate(entry.inputs):
        problems += _check_relative(document, (*base, "inputs", index), item)
    for index, item in enumerate(entry.outputs):
        problems += _check_relative(document, (*base, "outputs", index), item)
    problems += _check_data_checks(entry, document, base)
    if entry.command:
        try:
            names = referenced_names(entry.command)
        except TemplateProblem as problem:
            where = (f" (line {problem.line} of the command)"
                     if problem.line and "\n" in entry.command.strip() else "")
            problems.append(_at(document, (*base, "command"), f"{problem}{where}"))
        else:
            for unknown in sorted(names - set(declared)):
                guess = difflib.get_close_matches(unknown, declared, n=1)
                hint = f"did you mean {guess[0]!r}? " if guess else ""
                problems.append(_at(document, (*base, "command"), (
                    f"the command uses {{{{ {unknown} }}}} but {unknown!r} is not a declared "
                    f"parameter ({hint}declared: {', '.join(declared) or 'none'})")))
            problems += _single_braces(entry.command, declared, document, (*base, "command"))
            if names <= set(declared):
                problems += _check_rendering(name, entry, document)
    known = {normalize_entry_name(n) for n in entry_names}
    for index, dependency in enumerate(entry.depends_on):
        if normalize_entry_name(dependency) not in known:
            problems.append(_at(document, (*base, "depends_on", index), (
                f"unknown entry point {dependency!r} (declared: {', '.join(entry_names)})")))
    return problems


def _check_data_checks(entry: EntryPoint, document: Document,
                       base: tuple[str | int, ...]) -> list[Problem]:
    """Each declared data check: its kind's own rules, and paths that stay in the project."""
    from brain.checks import kind_of
    from brain.checks.table import split_schema

    problems: list[Problem] = []
    for index, check in enumerate(entry.checks):
        at: tuple[str | int, ...] = (*base, "checks", index)
        declared = check.as_json()
        for problem in kind_of(declared).problems(declared, entry.inputs, entry.outputs):
            problems.append(_at(document, (*at, problem.field) if problem.field else at,
                                problem.message))
        for field, value in (("table", check.table), ("tests", check.tests),
                             ("schema", split_schema(check.schema_file)[0]
                              if check.schema_file else None)):
            if value:
                problems += _check_relative(document, (*at, field), value)
    return problems


# MLflow's `{alpha}`: single braces, not `${alpha}` (a shell variable) nor inside `{{ }}`.
_SINGLE_BRACES = re.compile(r"(?<![{$])\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}(?!\})")


def _single_braces(command: str, declared: list[str], document: Document,
                   path: tuple[str | int, ...]) -> list[Problem]:
    """`{alpha}` where `alpha` is a parameter: MLflow's placeholder, which brain would pass
    on as the literal text `{alpha}`."""
    found = sorted({match.group(1) for match in _SINGLE_BRACES.finditer(command)}
                   & set(declared))
    return [_at(document, path, (
        f"{{{name}}} is MLflow's placeholder and would reach the command as the text "
        f"'{{{name}}}'; brain's is {{{{ {name} }}}}")) for name in found]


_MAX_DRY_RENDERS = 8
"""Value combinations tried per command (bools both ways, each choice, the defaults)."""


def _check_rendering(name: str, entry: EntryPoint, document: Document) -> list[Problem]:
    """Render the command as `brain run` will, with typed stand-in values, so that every
    problem a render can find (unknown filter, bad types, a value inside quotes...) is
    reported here, located, rather than when the command runs."""
    from brain.render import TemplateProblem, render_command

    command = entry.command or ""
    for values in itertools.islice(_stand_in_values(name, document), _MAX_DRY_RENDERS):
        try:
            render_command(command, values, bash=entry_type(entry.type).bash_command)
        except TemplateProblem as problem:
            where = (f" (line {problem.line} of the command)"
                     if problem.line and "\n" in command.strip() else "")
            return [_at(document, ("entry_points", name, "command"), f"{problem}{where}")]
    return []


def _stand_in_values(name: str, document: Document) -> Iterator[dict[str, Value]]:
    """Combinations of plausible typed values for the entry point's valid parameters."""
    raw_entry = document.data.get("entry_points", {}).get(name)
    raw_params = raw_entry.get("parameters") if isinstance(raw_entry, dict) else None
    candidates: dict[str, list[Value]] = {}
    for param_name, raw in (raw_params if isinstance(raw_params, dict) else {}).items():
        try:
            param = Parameter.model_validate(raw)
        except ValidationError:  # reported by the parameter's own checks: no dry render
            return
        candidates[str(param_name)] = _candidates(param)
    names = list(candidates)
    for combination in itertools.product(*candidates.values()):
        yield dict(zip(names, combination, strict=True))


def _candidates(param: Parameter) -> list[Value]:
    from brain.params import JsonValue, ParameterError, coerce

    found: list[Value] = []
    if param.default is not None:
        with contextlib.suppress(ParameterError):  # a bad default is reported on its own
            found.append(coerce(param, param.default))
    stand_in: dict[str, list[Value]] = {
        "str": ["text"], "int": [1], "float": [0.5], "bool": [True, False],
        "path": ["data/file.txt"], "uri": ["https://example.com/data"],
        "date": [date(2024, 1, 31)], "choice": list(param.choices or ()),
        "json": [JsonValue("{}")]}
    for value in stand_in.get(param.type, ["text"]):
        if value not in found:
            found.append(value)
    return found or ["text"]


def check_parameter_name(document: Document, path: tuple[str | int, ...]) -> list[Problem]:
    """A parameter name must be an identifier: it becomes a template name and `--name`."""
    name = str(path[-1])
    if re.fullmatch(IDENTIFIER_PATTERN, name):
        return []
    return [_at(document, path, (
        f"parameter name {name!r} must be a valid identifier (ASCII letters, digits and '_', "
        "not starting with a digit, at most 64 characters)"), key=True)]


def check_parameter(document: Document, path: tuple[str | int, ...], param: Parameter
                    ) -> list[Problem]:
    """A valid parameter's own problems: type-specific fields, bounds, its default."""
    from brain.params import ParameterError, coerce

    problems: list[Problem] = []
    if param.type == "choice" and not param.choices:
        problems.append(_at(document, path, "a choice parameter needs 'choices: [...]'"))
    if param.choices is not None and param.type != "choice":
        problems.append(_at(document, (*path, "choices"),
                            f"'choices' applies to type choice, not {param.type}", key=True))
    for bound in ("min", "max"):
        if getattr(param, bound) is not None and param.type not in ("int", "float"):
            problems.append(_at(document, (*path, bound),
                                f"{bound!r} applies to int and float, not {param.type}", key=True))
    if param.type == "json":
        problems += _json_parameter_place(document, path)
    if param.outside_project and param.type != "path":
        problems.append(_at(document, (*path, "outside_project"),
                            f"'outside_project' applies to type path, not {param.type}",
                            key=True))
    if param.min is not None and param.max is not None and param.min > param.max:
        problems.append(_at(document, (*path, "min"), (
            f"min ({_number(param.min)}) is above max ({_number(param.max)}); swap them")))
    if param.default is not None and (param.type != "choice" or param.choices):
        try:
            coerce(param, param.default)
        except ParameterError as error:
            problems.append(_at(document, (*path, "default"), f"the default does not fit: {error}"))
    return problems


def _json_parameter_place(document: Document, path: tuple[str | int, ...]) -> list[Problem]:
    """A json parameter belongs to an entry type that receives parsed values (notebooks)."""
    from brain.entrypoints import entry_type, type_names

    entries = document.data.get("entry_points")
    raw = entries.get(path[1]) if isinstance(entries, dict) and len(path) > 1 else None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in type_names() or entry_type(kind).json_parameters:
        return []
    takers = [name for name in type_names() if entry_type(name).json_parameters]
    return [_at(document, (*path, "type"),
                f"a json parameter reaches {' and '.join(takers)} entry points only (as a "
                f"parsed value); a {kind} entry point takes text: use type str and parse it")]


def _check_relative(document: Document, path: tuple[str | int, ...], value: str) -> list[Problem]:
    pure = PurePosixPath(value)
    absolute = value.startswith(("/", "\\")) or bool(pure.parts and ":" in pure.parts[0])
    if absolute:
        return [_at(document, path, f"{value!r} must be a path inside the project, not absolute")]
    if ".." in pure.parts:
        return [_at(document, path, f"{value!r} must stay inside the project (no '..')")]
    return []


def _check_requirements(env: Env, document: Document) -> list[Problem]:
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    pip = env.python.pip
    for index, line in enumerate(env.python.requirement_lines()):
        key: str | int = list(pip)[index] if isinstance(pip, dict) else index
        try:
            Requirement(line)
        except InvalidRequirement as error:
            reason = str(error).splitlines()[0]  # packaging adds the line and a caret below
            problems.append(_at(document, ("env", "python", "pip", key), (
                f"invalid requirement {line!r}: {reason} "
                "(write e.g. `numpy: '>=1.26'` or `numpy==1.26.4`)")))
    return problems


def check_dependency_cycles(entries: Mapping[str, EntryPoint], document: Document
                            ) -> list[Problem]:
    """`depends_on` chains that loop back, each reported once where the loop closes."""
    by_normal = {normalize_entry_name(name): name for name in entries}
    graph: dict[str, list[str]] = {}
    for name, entry in entries.items():
        targets = (by_normal.get(normalize_entry_name(d)) for d in entry.depends_on)
        graph[name] = [t for t in targets if t is not None]
    state: dict[str, int] = {}
    problems: list[Problem] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target):], target]
                problems.append(_at(document, ("entry_points", node, "depends_on"), (
                    "dependency cycle: " + " -> ".join(cycle) + "; remove one of these links")))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    return problems


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
