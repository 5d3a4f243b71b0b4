"""Checks that need more than field types: names, templates, defaults, dependencies, paths."""

from __future__ import annotations

from pathlib import PurePosixPath

from brain.spec.document import Document, Mark
from brain.spec.models import EntryPoint, Parameter, Spec, normalize_entry_name
from brain.spec.problems import Problem, describe

_FIELDS_BY_TYPE = {
    "shell": {"command"},
    "bash": {"command"},
    "app": {"command", "port"},
    "python": {"script", "module"},
    "notebook": {"notebook"},
}
_TYPED_FIELDS = {"command", "script", "module", "notebook", "port"}


def check_spec(spec: Spec, document: Document) -> list[Problem]:
    """Every cross-field problem in `spec`, located through `document`."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for name, entry in spec.entry_points.items():
        base = ("entry_points", name)
        normalized = normalize_entry_name(name)
        if not normalized.strip("-"):
            problems.append(_at(document, base, "an entry point needs a name", key=True))
        elif normalized in seen:
            problems.append(_at(document, base, (
                f"entry point {name!r} collides with {seen[normalized]!r} "
                "(names match ignoring case, spaces, '-' and '_')"), key=True))
        else:
            seen[normalized] = name
        problems += _check_entry(spec, name, entry, document)
    problems += _check_cycles(spec, document)
    if spec.env.python.requirements:
        problems += _check_relative(document, ("env", "python", "requirements"),
                                    spec.env.python.requirements)
    problems += _check_requirements(spec, document)
    return sorted(problems, key=Problem.sort_key)


def _at(document: Document, path: tuple[str | int, ...], message: str, *,
        key: bool = False) -> Problem:
    mark: Mark = document.keys.get(path, document.mark(path)) if key else document.mark(path)
    return Problem(mark, path, message)


def _check_entry(spec: Spec, name: str, entry: EntryPoint, document: Document) -> list[Problem]:
    from brain.render import TemplateProblem, referenced_names

    base: tuple[str | int, ...] = ("entry_points", name)
    problems: list[Problem] = []
    allowed = _FIELDS_BY_TYPE[entry.type]
    for field in sorted(_TYPED_FIELDS - allowed):
        if getattr(entry, field) is not None:
            problems.append(_at(document, (*base, field),
                                f"{field!r} does not apply to a {entry.type} entry point "
                                f"(it takes {', '.join(sorted(allowed))})", key=True))
    if entry.type in ("shell", "bash", "app") and not (entry.command or "").strip():
        problems.append(_at(document, (*base, "command") if entry.command is not None else base,
                            f"a {entry.type} entry point needs a command"))
    if entry.type == "python" and (entry.script is None) == (entry.module is None):
        problems.append(_at(document, base, "a python entry point needs exactly one of "
                                            "'script' or 'module'"))
    if entry.type == "notebook":
        if entry.notebook is None:
            problems.append(_at(document, base, "a notebook entry point needs 'notebook: "
                                                "path/to/file.ipynb'"))
        elif not entry.notebook.endswith(".ipynb"):
            problems.append(_at(document, (*base, "notebook"),
                                f"expected a .ipynb file, got {entry.notebook!r}"))
    for field in ("script", "notebook"):
        value = getattr(entry, field)
        if value:
            problems += _check_relative(document, (*base, field), value)
    for index, item in enumerate(entry.inputs):
        problems += _check_relative(document, (*base, "inputs", index), item)
    for index, item in enumerate(entry.outputs):
        problems += _check_relative(document, (*base, "outputs", index), item)
    for param_name, param in entry.parameters.items():
        problems += _check_parameter(document, (*base, "parameters", param_name), param_name,
                                     param)
    if entry.command:
        try:
            names = referenced_names(entry.command)
        except TemplateProblem as problem:
            problems.append(_at(document, (*base, "command"), str(problem)))
        else:
            for unknown in sorted(names - set(entry.parameters)):
                declared = ", ".join(entry.parameters) or "none"
                problems.append(_at(document, (*base, "command"), (
                    f"the command uses {{{{ {unknown} }}}} but {unknown!r} is not a declared "
                    f"parameter (declared: {declared})")))
    for index, dependency in enumerate(entry.depends_on):
        if spec.entry_point(dependency) is None:
            problems.append(_at(document, (*base, "depends_on", index), (
                f"unknown entry point {dependency!r} (declared: "
                f"{', '.join(spec.entry_points)})")))
    return problems


def _check_parameter(document: Document, path: tuple[str | int, ...], name: str,
                     param: Parameter) -> list[Problem]:
    from brain.params import ParameterError, coerce

    problems: list[Problem] = []
    if not name.isidentifier():
        problems.append(_at(document, path, (
            f"parameter name {name!r} must be a valid identifier (letters, digits, '_')"),
            key=True))
    if param.type == "choice" and not param.choices:
        problems.append(_at(document, path, "a choice parameter needs 'choices: [...]'"))
    if param.choices is not None and param.type != "choice":
        problems.append(_at(document, (*path, "choices"),
                            f"'choices' applies to type choice, not {param.type}", key=True))
    for bound in ("min", "max"):
        if getattr(param, bound) is not None and param.type not in ("int", "float"):
            problems.append(_at(document, (*path, bound),
                                f"{bound!r} applies to int and float, not {param.type}", key=True))
    if param.min is not None and param.max is not None and param.min > param.max:
        problems.append(_at(document, (*path, "min"), f"min {param.min} is above max {param.max}"))
    if param.default is not None and (param.type != "choice" or param.choices):
        try:
            coerce(param, param.default)
        except ParameterError as error:
            problems.append(_at(document, (*path, "default"),
                                f"default {describe(param.default)} does not fit: {error}"))
    return problems


def _check_relative(document: Document, path: tuple[str | int, ...], value: str) -> list[Problem]:
    pure = PurePosixPath(value)
    absolute = value.startswith(("/", "\\")) or bool(pure.parts and ":" in pure.parts[0])
    if absolute:
        return [_at(document, path, f"{value!r} must be a path inside the project, not absolute")]
    if ".." in pure.parts:
        return [_at(document, path, f"{value!r} must stay inside the project (no '..')")]
    return []


def _check_requirements(spec: Spec, document: Document) -> list[Problem]:
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    pip = spec.env.python.pip
    for index, line in enumerate(spec.env.python.requirement_lines()):
        key: str | int = list(pip)[index] if isinstance(pip, dict) else index
        try:
            Requirement(line)
        except InvalidRequirement as error:
            problems.append(_at(document, ("env", "python", "pip", key),
                                f"invalid requirement {line!r}: {error}"))
    return problems


def _check_cycles(spec: Spec, document: Document) -> list[Problem]:
    graph: dict[str, list[str]] = {}
    for name, entry in spec.entry_points.items():
        targets = [spec.entry_point(d) for d in entry.depends_on]
        graph[name] = [t[0] for t in targets if t is not None]
    state: dict[str, int] = {}
    problems: list[Problem] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                cycle = [*trail[trail.index(target):], target] if target in trail else [node, target]
                problems.append(_at(document, ("entry_points", node, "depends_on"),
                                    "dependency cycle: " + " -> ".join(cycle)))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    return problems
