"""The shape of the package: no import cycles between brain's modules, no oversized module.

The graph is read with `ast` from every module of `brain/`, counting imports inside functions
and under `if TYPE_CHECKING:` too: a cycle held together by a late import is still a cycle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import brain

PACKAGE = Path(brain.__file__).resolve().parent
MAX_LINES = 400
# Modules allowed over MAX_LINES, each with the reason (keep this empty when you can).
OVERSIZED: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))
            if "templates" not in path.parts}


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The brain modules `name` imports (a `from package import module` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            # `import brain.a.b` names brain.a.b; stop at the longest known module.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target != "brain":
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each brain module and the brain modules it imports, anywhere in its code."""
    modules = _modules()
    known = set(modules)
    return {name: _imported(name, path, known) for name, path in modules.items()}


def test_the_graph_sees_function_level_and_type_checking_imports() -> None:
    graph = import_graph()
    # brain.runs.runner imports brain.process inside a function only.
    assert "brain.process" in graph["brain.runs.runner"]
    assert "brain.spec.loader" in graph["brain.runs.snapshot"]  # TYPE_CHECKING and functions


def test_no_import_cycles() -> None:
    graph = import_graph()
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        cycle = " -> ".join(error.args[1])
        raise AssertionError(f"import cycle: {cycle}") from None


def test_a_cycle_is_found() -> None:
    with __import__("pytest").raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}}).static_order())


def test_no_module_over_the_size_limit() -> None:
    too_long = {}
    for name, path in _modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in OVERSIZED:
            too_long[name] = lines
    assert not too_long, f"modules over {MAX_LINES} lines (split them): {too_long}"


def test_every_listed_exception_is_still_needed() -> None:
    modules = _modules()
    for name in OVERSIZED:
        assert name in modules, f"{name} no longer exists: drop it from OVERSIZED"
        lines = len(modules[name].read_text(encoding="utf-8").splitlines())
        assert lines > MAX_LINES, f"{name} is {lines} lines now: drop it from OVERSIZED"
