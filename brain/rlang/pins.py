"""The read side of `onebrain.r.lock` (brain.rlang.lock writes it): which versions a fresh
lock pins, for the project library to install."""

from __future__ import annotations

import json
from pathlib import Path

R_LOCK_NAME = "onebrain.r.lock"


def locked_versions(root: Path, inputs_digest: str) -> tuple[tuple[str, str], ...]:
    """(name, version) of the repository packages a fresh R lock pins; () without one."""
    try:
        data = json.loads((root / R_LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    if not isinstance(data, dict) or data.get("inputs_sha256") != inputs_digest:
        return ()
    from brain.errors import InvalidInput
    from brain.rlang.specifiers import SpecifierError, check_name, parse_version

    try:
        pins = tuple(sorted((item["name"], item["version"]) for item in data["packages"]
                            if item["source"] == "repository"))
        for name, version in pins:  # the lock is a file anyone may edit: same grammar
            check_name(name)
            parse_version(version)
    except (KeyError, TypeError) as error:
        raise InvalidInput(f"{R_LOCK_NAME} is malformed ({error})",
                           hint="run `brain lock` again") from None
    except SpecifierError as error:
        raise InvalidInput(f"{R_LOCK_NAME}: {error}", hint="run `brain lock` again") from None
    return pins
