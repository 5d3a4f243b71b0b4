"""`brain runs reproduce ID`: re-create a run from its record alone and compare its outputs.

The record names the commit, the entry point, its parameters, its inputs' hashes and (when
the project versions its data) its datasets' versions. A clean working copy of that commit
is made beside the user's repository (brain.vcs: a shared clone in a temporary folder; the
user's work tree is never touched), inputs git does not hold are brought in only when the
original project still has them at their recorded hash, the environment is built from the
commit's own spec and lock, and the entry point runs there like any run (recorded, with
`reproduces` naming the original). Every declared output's hash is then compared with the
record's; for a CSV that differs and whose original is still at hand, rows and changed
columns are counted.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from brain.errors import InvalidInput
from brain.file_hashes import file_sizes, hash_files

if TYPE_CHECKING:
    from brain.envs.base import Progress
    from brain.runs.record import RunRecord

IDENTICAL, DIFFERENT, MISSING = "identical", "different", "missing"


@dataclass(frozen=True)
class OutputComparison:
    """One declared output: recorded against reproduced."""

    name: str
    status: str  # IDENTICAL | DIFFERENT | MISSING (the reproduction did not write it)
    recorded_hash: str | None
    new_hash: str | None
    recorded_size: int | None = None
    new_size: int | None = None
    table: dict[str, Any] | None = None  # rows and changed columns (brain.runs.table_diff)


@dataclass
class Reproduction:
    """What `reproduce` found."""

    original: RunRecord
    reproduced: RunRecord
    outputs: list[OutputComparison] = field(default_factory=list)
    data: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    exit_code: int = 0  # the reproduced run's own
    folder: Path | None = None  # the working copy, when kept

    @property
    def identical(self) -> bool:
        """True when the run succeeded and every output (and dataset) matches the record."""
        return (self.exit_code == 0 and all(o.status == IDENTICAL for o in self.outputs)
                and not self.data)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "run": self.original.id, "reproduction": self.reproduced.id,
            "identical": self.identical, "exit_code": self.exit_code,
            "outputs": [vars(output) for output in self.outputs],
            "data": {name: {"recorded": old, "reproduced": new}
                     for name, (old, new) in self.data.items()},
            "folder": str(self.folder) if self.folder is not None else None,
            "same_environment": self.same_environment,
        }

    @property
    def same_environment(self) -> bool:
        """True when the environment was built to the recorded identity (a lock pins it;
        without one, a newer release may have been installed)."""
        return self.original.env_identity == self.reproduced.env_identity


def reproducible(record: RunRecord) -> tuple[str, dict[str, str]]:
    """(commit, recorded output hashes) of a run that can be reproduced; InvalidInput (exit 2)
    saying what is missing and how to get a run that can be, otherwise."""
    how = "run it again with `brain run --commit -e ENTRY` (commits the code first)"
    if not record.git.commit:
        raise InvalidInput(f"run {record.id} has no recorded commit: it ran outside a git "
                           "repository or before the first commit", hint=how)
    if record.git.dirty:
        raise InvalidInput(f"run {record.id} ran with uncommitted changes: its exact code is "
                           "in no commit", hint=how)
    outputs = record.extra.get("outputs")
    hashes = {str(k): str(v) for k, v in outputs.items()
              if v is not None} if isinstance(outputs, Mapping) else {}
    if not hashes:
        raise InvalidInput(f"run {record.id} recorded no output hashes (its entry point "
                           "declares no outputs, or the run did not succeed)",
                           hint="declare `outputs:` of the entry point in onebrain.yml, run "
                           "it, and reproduce that run")
    return record.git.commit, hashes


def reproduce(record: RunRecord, *, keep: bool = False, progress: Progress | None = None,
              on_started: Callable[[RunRecord], None] | None = None,
              stdout: IO[str] | None = None) -> Reproduction:
    """Run `record` again in a clean working copy of its commit and compare its outputs."""
    from brain.vcs.repository import open_repository

    commit, recorded = reproducible(record)
    original_root = Path(record.project_path)
    if not original_root.is_dir():
        raise InvalidInput(f"the project folder of run {record.id} ({original_root}) is gone",
                           hint="run this where the project's repository is")
    repo = open_repository(original_root)
    if not repo.has_commit(commit):
        raise InvalidInput(f"commit {commit[:12]} of run {record.id} is not in {repo.top}",
                           hint="fetch it first (`git fetch --all`)")
    folder = Path(tempfile.mkdtemp(prefix="brain-reproduce-"))
    try:
        result = _run_copy(record, repo.top, repo.inside(original_root), folder, commit,
                           progress, on_started, stdout)
        result.outputs = _compare(record, recorded, result.reproduced, original_root)
        result.data = _data_changes(record, result.reproduced)
        if keep:
            result.folder = folder
        return result
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def _run_copy(record: RunRecord, top: Path, inside: str, folder: Path, commit: str,
              progress: Progress | None, on_started: Callable[[RunRecord], None] | None,
              stdout: IO[str] | None) -> Reproduction:
    from brain.runs.plan import plan_run
    from brain.runs.runner import execute
    from brain.runs.snapshot import load_snapshot
    from brain.vcs.verbs import clean_copy

    copy = folder / "repo"
    clean_copy(top, copy, commit)
    root = copy if inside == "." else copy / inside
    _bring_inputs(record, Path(record.project_path), root)
    project = load_snapshot(root)
    given = {name: _text(value) for name, value in record.parameters.items()}
    plan = plan_run(project, record.entry_point, given)
    result = execute(plan, backend=record.backend, setup=True, progress=progress,
                     on_started=on_started, stdout=stdout, extra={"reproduces": record.id})
    return Reproduction(record, result.record, exit_code=result.exit_code)


def _text(value: Any) -> str:
    """A recorded parameter value as `-P` text (the record keeps JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bring_inputs(record: RunRecord, original: Path, root: Path) -> None:
    """Copy into the working copy each recorded input git does not hold, from the original
    project when it is still at its recorded hash; InvalidInput naming the rest."""
    inputs = record.extra.get("inputs")
    if not isinstance(inputs, Mapping):
        return
    missing: list[str] = []
    for name, wanted in inputs.items():
        if Path(str(name)).is_absolute() or ".." in Path(str(name)).parts:
            missing.append(str(name))  # a record never holds one; a tampered store might
            continue
        if wanted is None or hash_files(root, [name]).get(name) == wanted:
            continue  # absent at run time too, or committed at that very version
        if hash_files(original, [name]).get(name) != wanted:
            missing.append(name)
            continue
        _copy_inside(original, root, str(name))
    if missing:
        raise InvalidInput(f"run {record.id} read {', '.join(missing)} at a version that is "
                           "neither in its commit nor in the project folder any more",
                           hint="restore those files as they were (`brain data pull` for "
                           "versioned datasets), then reproduce again")


def _copy_inside(original: Path, root: Path, name: str) -> None:
    from brain.inputfs import contained

    source = contained(original / name, original)  # never a link out of the project
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copyfile(source, target)


def _compare(record: RunRecord, recorded: dict[str, str], new: RunRecord,
             original: Path) -> list[OutputComparison]:
    from brain.runs.table_diff import compare_tables

    sizes = record.extra.get("output_sizes")
    recorded_sizes = sizes if isinstance(sizes, Mapping) else {}
    new_root = Path(new.project_path)
    new_hashes = new.extra.get("outputs")
    if not isinstance(new_hashes, Mapping):  # a failed run records none: hash what is there
        new_hashes = hash_files(new_root, list(recorded))
    new_sizes = file_sizes(new_root, list(recorded))
    found = []
    for name, old_hash in recorded.items():
        new_hash = new_hashes.get(name)
        old_size = recorded_sizes.get(name)
        status = MISSING if new_hash is None else \
            IDENTICAL if new_hash == old_hash else DIFFERENT
        table = None
        if status == DIFFERENT and hash_files(original, [name]).get(name) == old_hash:
            table = compare_tables(original / name, new_root / name)
        found.append(OutputComparison(name, status, old_hash, new_hash,
                                      old_size if isinstance(old_size, int) else None,
                                      new_sizes.get(name), table))
    return found


def _data_changes(record: RunRecord, new: RunRecord) -> dict[str, tuple[str | None, str | None]]:
    """Datasets whose version differs between the two records (when the project versions
    its data: the records' `data`, name -> content hash; nothing otherwise)."""
    old, now = record.extra.get("data"), new.extra.get("data")
    if not isinstance(old, Mapping) or not old:
        return {}
    now = now if isinstance(now, Mapping) else {}
    return {str(name): (str(version), None if now.get(name) is None else str(now[name]))
            for name, version in old.items() if now.get(name) != version}
