"""What `brain setup-deps` does once its options are typed (click-free, so that
`brain.cli.quick` answers `brain setup-deps [PROJECT]` without loading click)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from brain.cli import output

if TYPE_CHECKING:
    from brain.envs.base import SourceRevision


def set_up_environment(project: Path | None, *, backend: str = "venv", installer: str = "uv",
                       frozen: bool = False, wait: float | None = None,
                       as_json: bool = False) -> None:
    """Create or refresh the environment of `project` and say what happened."""
    import time

    from brain.envs.select import EnvironmentOptions, ensure_environment

    began = time.time_ns()
    target = output.project_folder(project)
    folder = target if target.is_dir() else target.parent
    options = EnvironmentOptions(installer=installer, frozen=frozen, lock_timeout=wait,
                                 revision=lambda: _revision(folder))
    with output.progress("setup-deps", quiet=False, lazy=True) as progress:
        result = ensure_environment(target, backend=backend, options=options, progress=progress)
        pulled = _pull_inputs(folder, progress)
    if as_json:
        output.print_json({"backend": backend, **result._asdict(), "pulled": list(pulled or ())})
    elif result.changed:
        output.success(f"environment ready: {shown_location(result.location)} "
                       f"(identity {result.identity[:12]}, {result.seconds:.1f}s)")
    else:
        line = f"environment up to date: {shown_location(result.location)}"
        output.echo(line)
        if (backend, installer, frozen, wait, pulled) == ("venv", "uv", False, None, None):
            _settle(project, target, output.printable(line), began)


def _settle(project: Path | None, target: Path, line: str, began: int) -> None:
    """Keep the no-op's `line` for `brain.cli.quick`, guarded by the files its answer rests
    on; only for a folder asked for by name or as the working directory (not found above
    it), and a Python-only project whose stamp answered."""
    import os

    from brain.envs import identity
    from brain.paths import cache_dir
    from brain.rlang.plans import declared
    from brain.settled import FOLLOW, SETUP_NO_OP, folder_key, remember

    key = folder_key(project)
    root = os.path.realpath(target)
    if not target.is_dir() or key.rpartition("\0")[2] != root:
        return
    stamp = identity.quick_ready(Path(root))
    if stamp is None or declared(Path(root)) is not False:
        return  # answered by a plan, or the project has an R library: not settled here
    # brain's own code that gave the answer: an edited checkout answers anew.
    code = [(name, FOLLOW) for name in (__file__, identity.__file__) if name]
    remember(str(cache_dir()), SETUP_NO_OP, key, {"line": line},
             [*identity.settled_files(Path(root), stamp), *code], computed_at=began)


def _revision(folder: Path) -> SourceRevision:
    # Imported when a backend asks (docker labels): an up-to-date venv never does.
    from brain.runs.provenance import source_revision

    return source_revision(folder)


def _pull_inputs(folder: Path, progress: Callable[[str], None]) -> tuple[str, ...] | None:
    """The datasets any entry point's inputs need and the project lacks, pulled; None when
    the project declares no datasets."""
    from brain.runs.snapshot import load_snapshot

    project = load_snapshot(folder)
    if not project.datasets:
        return None
    from brain.data.run_data import pull_missing

    inputs = tuple(path for entry in project.entry_points.values() for path in entry.inputs)
    return pull_missing(project, inputs, progress)


def shown_location(location: str) -> str:
    """`location` relative to the working directory when inside it (no spec import: fast)."""
    import os

    relative = os.path.relpath(location)
    return location if relative.startswith("..") else relative
