"""What a project's environment needs so brain can execute its notebook entry points.

Pinned versions that install from wheels on Python 3.11, added to the requirement set (and
so to the environment's identity and lock) only when the spec declares a `notebook` entry
point, and only for packages the spec does not already name itself.
"""

from __future__ import annotations

from collections.abc import Iterable

NOTEBOOK_REQUIREMENTS = {
    "papermill": "papermill==2.7.0",
    "nbconvert": "nbconvert==7.17.2",
    # 6.29 rather than 7.x: 7.x warns on every start that its TCP transport is unencrypted.
    "ipykernel": "ipykernel==6.29.5",
}


def notebook_requirements(entry_types: Iterable[str], declared: Iterable[str]) -> list[str]:
    """The requirement lines to add: none without a notebook entry point; never one the
    user's own `declared` lines already name (their pin wins)."""
    if "notebook" not in set(entry_types):
        return []
    named = {_name(line) for line in declared}
    return [line for name, line in NOTEBOOK_REQUIREMENTS.items() if name not in named]


def _name(line: str) -> str:
    """The canonical project name a requirement line starts with."""
    import re

    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return re.sub(r"[-_.]+", "-", match[1]).lower() if match else ""
