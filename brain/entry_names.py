"""Entry point names: the one normalisation rule, the one lookup and the one default (no
pydantic here).

`fit models`, `fit-models` and `Fit_Models` name the same entry point. The spec models, the
run path's snapshot, the run store and `brain run -e` all use these two functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

Entry = TypeVar("Entry")
_SEPARATORS = re.compile(r"[\s_-]+")


def normalize_entry_name(name: str) -> str:
    """The form entry point names are compared in: `fit models` = `fit-models` = `fit_models`."""
    return _SEPARATORS.sub("-", name.strip().lower())


def find_declared(entries: Mapping[str, Entry], name: str) -> tuple[str, Entry] | None:
    """(declared name, entry) of the entry whose name matches `name` after normalisation."""
    wanted = normalize_entry_name(name)
    for declared, entry in entries.items():
        if normalize_entry_name(declared) == wanted:
            return declared, entry
    return None


def default_entry(entries: Mapping[str, Entry]) -> tuple[str, Entry] | None:
    """The entry point run when none is named: the only one, else the one called `main`."""
    if len(entries) == 1:
        return next(iter(entries.items()))
    return find_declared(entries, "main")
