"""The R part of `brain lock` (kept here, so the CLI module gains one call)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from brain.errors import InvalidInput

if TYPE_CHECKING:
    from brain.spec.loader import Project


def lock_r(project: Project, *, renv: bool, quiet: bool) -> dict[str, Any]:
    """Write onebrain.r.lock (and renv.lock with `renv`); JSON-ready keys and messages."""
    from brain.rlang.lock import renv_lock, write_r_lock

    if project.spec.env.r is None:
        if renv:
            raise InvalidInput("--renv exports R packages, and this project declares no env.r")
        return {}
    written = write_r_lock(project.root, project.spec)
    assert written is not None
    pins = json.loads(written.read_text(encoding="utf-8"))["packages"]
    found: dict[str, Any] = {"r_lock": str(written), "r_packages": pins,
                             "messages": [f"wrote {written.name}: {len(pins)} R package(s) "
                                          "pinned"]}
    if renv:
        target = project.root / "renv.lock"
        target.write_text(json.dumps(renv_lock(project.root), indent=2) + "\n",
                          encoding="utf-8")
        found["renv_lock"] = str(target)
        found["messages"].append(f"wrote {target.name} (renv.lock format)")
    if quiet:
        found.pop("messages")
    return found
