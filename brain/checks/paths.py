"""Files a data check names, resolved inside the project (never through a symlink out)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from brain.errors import InvalidInput
from brain.inputfs import contained


def project_file(root: Path, relative: str, *, what: str, must_exist: bool = True) -> Path:
    """`root/relative` resolved; InvalidInput when it leaves the project (by '..', an absolute
    path or a symlink), or, when `must_exist`, is missing or not a regular file."""
    if os.path.isabs(relative) or ".." in Path(relative).parts:
        raise InvalidInput(f"the {what} {relative!r} of a data check must stay inside the "
                           "project", hint="name a file under the project folder")
    path = root / relative
    real = contained(path, root)  # InputRefused (exit 2) for a symlink leading out
    if not must_exist:
        return real
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise InvalidInput(f"the {what} {relative!r} of a data check does not exist",
                           hint="add the file, or fix the path in onebrain.yml") from None
    if not stat.S_ISREG(mode):
        raise InvalidInput(f"the {what} {relative!r} of a data check is not a regular file")
    return real
