"""Data checks as plug-ins: the registry the spec, the environment and the run core ask.

Each kind is one module implementing `brain.checks.base.CheckKind`, named here by import
path and loaded on first use (a run without `checks:` never imports any of this beyond the
registry). Checks run in the project's environment through one standalone driver
(brain.checks.driver); brain.checks.running starts it and reads its results.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.checks.base import CheckItem, CheckKind

KINDS: dict[str, str] = {
    "table": "brain.checks.table:TableCheck",
    "tests": "brain.checks.datatests:TestsCheck",
}
_loaded: dict[str, CheckKind] = {}


def check_kind(name: str) -> CheckKind:
    """The kind called `name`."""
    found = _loaded.get(name)
    if found is None:
        target = KINDS.get(name)
        if target is None:
            raise InvalidInput(f"unknown data check kind {name!r}",
                               hint="known kinds: " + ", ".join(KINDS))
        module_name, attribute = target.split(":")
        found = getattr(import_module(module_name), attribute)()
        _loaded[name] = found
    return found


def kind_of(declared: Mapping[str, Any]) -> CheckKind:
    """The kind a declared check (JSON form) belongs to; the last kind claims the rest."""
    names = list(KINDS)
    for name in names[:-1]:
        kind = check_kind(name)
        if kind.owns(declared):
            return kind
    return check_kind(names[-1])


def declared_checks(checks: Iterable[Mapping[str, Any]], inputs: tuple[str, ...],
                    outputs: tuple[str, ...]) -> list[CheckItem]:
    """The typed form of an entry point's declared `checks` (already validated)."""
    return [kind_of(declared).item(declared, inputs, outputs) for declared in checks]


def check_requirements(items: Iterable[CheckItem], declared: Iterable[str]) -> list[str]:
    """Requirement lines the checks need in the environment, except packages the user's
    own `declared` lines name (their pin wins). A line with more extras wins over the same
    package's line with fewer (`pandera[io,pandas]` over `pandera[pandas]`)."""
    named = {_requirement_name(line) for line in declared}
    chosen: dict[str, str] = {}
    for item in items:
        for package, line in check_kind(item.kind).requirements(item).items():
            if package in named:
                continue
            if package not in chosen or len(line) > len(chosen[package]):
                chosen[package] = line
    return [chosen[package] for package in sorted(chosen)]


def _requirement_name(line: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return re.sub(r"[-_.]+", "-", match[1]).lower() if match else ""
