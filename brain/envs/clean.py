"""`brain clean`: remove a project's environment, or all of its `.brain/` state brain made."""

from __future__ import annotations

import os
from pathlib import Path

from brain.envs.base import Progress
from brain.envs.identity import plan_path
from brain.paths import project_lock_file, project_state_dir, project_venv_dir
from brain.statefs import current_build, project_state, remove


def remove_environment(root: Path, *, everything: bool = False,
                       progress: Progress | None = None) -> list[Path]:
    """Remove the project's environment (with `everything`, all of `<project>/.brain` but its
    lock file and brain's marker), under the project lock. Returns what was removed.

    Everything is checked before anything is deleted: a symlink or an unmarked folder (not
    brain's) is refused and nothing is removed."""
    from brain.envs.locking import ProjectLock
    from brain.rlang.library import current_build as r_library_build
    from brain.rlang.library import library_dir
    from brain.statefs import MARKER, check_removable, remove_build_link

    # An image's build folder and plan live in brain's cache, not in the project.
    forgotten = _forget_image_build(root) if everything else []
    if not os.path.lexists(project_state_dir(root)):
        return forgotten
    state = project_state(root)
    removed: list[Path] = []
    lock_file = project_lock_file(root)
    with ProjectLock(lock_file, command="brain clean", on_wait=progress):
        venv, r_library = project_venv_dir(root), library_dir(root)
        if everything:
            # The cached plan of the current inputs too: the next build re-reads the spec.
            kept = {lock_file.name, MARKER, ".gitignore"}
            targets = [child for child in state.iterdir() if child.name not in kept]
            targets.append(plan_path(root))
        else:
            targets = [venv, state / "envs", r_library, state / "rlibs"]
        for path in targets:
            if path == venv:
                current_build(root)  # refuses a link that is not brain's
            elif path == r_library:
                r_library_build(root)  # the same for the R library's link
            else:
                check_removable(path)
        for path in targets:
            if path == venv:
                gone = remove_build_link(path)
            elif path == r_library:
                gone = os.path.lexists(path)
                if gone:
                    os.unlink(path)  # the link only, never its target
            else:
                gone = remove(path)
            if gone:
                removed.append(path)
    return removed + forgotten


def _forget_image_build(root: Path) -> list[Path]:
    from brain.envs.docker_plan import forget

    return forget(root)
