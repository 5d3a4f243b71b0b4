"""The venv backend: a per-project virtual environment built with uv (virtualenv + pip as the
fallback), stamped with its identity and switched in atomically.

Layout under `<project>/.brain/`:
  venv -> envs/venv-<id>-<token>   a relative symlink, replaced atomically (rename) by a build
  envs/venv-<id>-<token>/          each build goes to a fresh folder; its stamp is written last
  lock                             the per-project file lock (owner inside)

A venv is not relocatable (scripts hold absolute paths), so a build never moves: it happens in
its final folder, and only the symlink switch makes it current. Each build folder carries
brain's marker from its first moment (brain.statefs), so a build killed midway leaves an
unreferenced, marked folder without a stamp, which the next build removes; nothing unmarked,
and nothing through a symlink, is ever deleted.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from brain.envs.base import EnsureResult, Invocation, Progress
from brain.envs.identity import (
    RequirementInputs,
    Stamp,
    collect_inputs,
    environment_identity,
    healthy_stamp,
    load_plan,
    lock_digest,
    quick_key,
    quick_ready,
    read_stamp,
    save_plan,
    write_stamp,
)
from brain.errors import EnvironmentFailure
from brain.paths import cache_dir, project_lock_file, project_state_dir, project_venv_dir
from brain.statefs import (
    UnsafeState,
    current_build,
    project_state,
    remove,
    safe_dir,
    write_atomic,
)

# brain.envs.lock and brain.envs.locking are imported where they are used: `brain
# run` of a ready environment answers from the stamp and never needs them.
if TYPE_CHECKING:
    from brain.envs.interpreters import Interpreter
    from brain.envs.lock import LockFile
    from brain.envs.select import EnvironmentOptions
    from brain.spec.loader import Project

INSTALLERS = ("uv", "pip")
BUILD_TAG = "BRAIN_BUILD_FOLDER"  # in every installer's environment: its build folder


class VenvEnvironment:
    """A project's virtual environment under `<project>/.brain/venv`."""

    name = "venv"

    def __init__(self, project: Project, *, options: EnvironmentOptions | None = None) -> None:
        from brain.envs.select import EnvironmentOptions

        self.project = project
        self.options = options or EnvironmentOptions()
        self.venv_dir = project_venv_dir(project.root)

    @classmethod
    def quick_result(cls, root: Path, options: EnvironmentOptions) -> EnsureResult | None:
        """The no-op result when nothing changed since the last build (no spec load, no uv)."""
        started = time.perf_counter()
        stamp = quick_ready(root, frozen=options.frozen)
        if stamp is None:
            return None
        return EnsureResult(stamp.identity, False, str(project_venv_dir(root)),
                            time.perf_counter() - started)

    @classmethod
    def ensure_from_plan(cls, root: Path, options: EnvironmentOptions,
                         progress: Progress | None = None) -> EnsureResult | None:
        """Build from the cached plan of these exact input files (validated before, by this
        brain version) without loading the spec; None when there is no such plan."""
        plan = load_plan(root)
        if plan is None or (options.frozen and not plan[1]):
            return None
        inputs = plan[0]

        def prepare(_report: Progress) -> tuple[RequirementInputs, LockFile | None]:
            from brain.envs.lock import read_lock

            lock = read_lock(root)
            return inputs, lock if lock is not None and lock.is_fresh(inputs) else None

        return _ensure(root, options, progress, prepare)

    def identity(self) -> str:
        """Hash of the requirement set (the lock when fresh), Python version and platform."""
        from brain.envs.lock import read_lock

        inputs = collect_inputs(self.project)
        return _identity(inputs, read_lock(self.project.root))

    def is_ready(self) -> bool:
        """True when the environment exists, is intact and its stamp matches `identity()`."""
        stamp = healthy_stamp(self.project.root)
        return stamp is not None and stamp.identity == self.identity()

    def stamp(self) -> Stamp | None:
        """The current environment's stamp (Python version, installer, build time), if any."""
        return healthy_stamp(self.project.root)

    def ensure(self, progress: Progress | None = None) -> EnsureResult:
        """Create or refresh the environment; a cheap no-op when it is up to date."""
        root, options = self.project.root, self.options

        def prepare(report: Progress) -> tuple[RequirementInputs, LockFile | None]:
            inputs = collect_inputs(self.project)
            return inputs, _usable_lock(root, inputs, options, report)

        return _ensure(root, options, progress, prepare)

    def invocation(self, argv: Sequence[str], variables: Mapping[str, str]) -> Invocation:
        """`argv` with the venv's bin first on PATH, VIRTUAL_ENV set, a scrubbed environment."""
        from brain.process_env import in_venv, scrubbed_environment

        return Invocation(list(argv), in_venv(scrubbed_environment(variables),
                                              str(self.venv_dir)))


Prepare = Callable[[Progress], tuple[RequirementInputs, "LockFile | None"]]


def _ensure(root: Path, options: EnvironmentOptions, progress: Progress | None,
            prepare: Prepare) -> EnsureResult:
    started = time.perf_counter()
    quick = VenvEnvironment.quick_result(root, options)
    if quick is not None:
        return quick
    from brain.envs.locking import ProjectLock

    report = progress or (lambda _phrase: None)
    project_state(root)  # refuses a `.brain/` that brain did not create
    with ProjectLock(project_lock_file(root), command=options.command,
                     timeout=options.lock_timeout, on_wait=report):
        inputs, lock = prepare(report)
        try:
            result = _ensure_locked(root, options, report, started, inputs, lock)
        except OSError as error:  # a read-only project, a full disk
            raise EnvironmentFailure(
                f"cannot write the environment of {root}: {error.strerror or error}",
                hint=f"check the permissions and free space of {project_state_dir(root)}",
            ) from None
    save_plan(root, inputs, lock_fresh=lock is not None)
    return result


def _ensure_locked(root: Path, options: EnvironmentOptions, report: Progress, started: float,
                   inputs: RequirementInputs, lock: LockFile | None) -> EnsureResult:
    venv = project_venv_dir(root)
    identity = _identity(inputs, lock)
    tracked = [name for name, _ in inputs.files]
    current = healthy_stamp(root)
    if current is not None and current.identity == identity:
        # Same environment, different bytes (a comment in the spec, or another process
        # built it while we waited): refresh the quick key so the next call is instant.
        current = current._replace(quick_key=quick_key(root, tracked), tracked=tracked,
                                   lock_fresh=lock is not None)
        write_stamp(current_build(root) or venv, current)
        return EnsureResult(identity, False, str(venv), time.perf_counter() - started)
    from datetime import UTC, datetime

    from brain.envs.interpreters import find_interpreter

    interpreter = find_interpreter(inputs.python)
    installer = options.installer
    if installer == "uv" and not _uv_available():
        report("uv was not found: falling back to virtualenv + pip")
        installer = "pip"
    envs = safe_dir(project_state(root), "envs", mark=True)
    previous = current_build(root)
    _remove_leftovers(envs, keep=previous)
    # Marked before the installer starts: whatever a kill leaves is recognisably brain's.
    target = safe_dir(envs, f"venv-{identity[:12]}-{os.urandom(3).hex()}", mark=True)
    try:
        report(f"creating the environment: Python {interpreter.version_text}, {installer}")
        build = _build_with_uv if installer == "uv" else _build_with_pip
        build(root, target, interpreter, inputs, lock, report)
        write_stamp(target, Stamp(
            identity=identity, quick_key=quick_key(root, tracked), tracked=tracked,
            location=os.path.realpath(target), python=interpreter.version_text,
            python_path=str(interpreter.path), installer=installer,
            lock_fresh=lock is not None,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - started, 3),
        ))
        _switch(venv, target)
    except BaseException:
        with suppress(OSError):  # the marked leftover goes with the next build otherwise
            remove(target)
        raise
    if previous is not None and previous != target:
        with suppress(OSError, UnsafeState):  # not brain's to delete: it stays, unused
            remove(previous)
    return EnsureResult(identity, True, str(venv), time.perf_counter() - started)


def _usable_lock(root: Path, inputs: RequirementInputs, options: EnvironmentOptions,
                 report: Progress) -> LockFile | None:
    """The lock to install: None without one; a stale lock fails with --frozen, else is
    re-resolved (keeping its pins where the spec allows)."""
    from brain.envs.lock import read_lock, write_lock

    lock = read_lock(root)
    if options.frozen and lock is None:
        raise EnvironmentFailure("--frozen needs onebrain.lock, and this project has none",
                                 hint="run `brain lock` and commit onebrain.lock")
    if lock is None or lock.is_fresh(inputs):
        return lock
    if options.frozen:
        raise EnvironmentFailure(
            "onebrain.lock is out of date: the requirements in onebrain.yml changed "
            "since it was written",
            hint="run `brain lock` and commit the new onebrain.lock, or drop --frozen")
    report("onebrain.lock is out of date with onebrain.yml: re-locking")
    return write_lock(root, inputs, progress=report)


def _build_with_uv(root: Path, target: Path, interpreter: Interpreter,
                   inputs: RequirementInputs, lock: LockFile | None, report: Progress) -> None:
    from brain.envs.lock import (
        index_arguments,
        requirement_arguments,
        uv_environment,
        uv_executable,
    )

    uv, env = uv_executable(), uv_environment()
    # --allow-existing: the build folder exists already, holding brain's marker.
    _installer_step([uv, "venv", "--quiet", "--no-project", "--allow-existing",
                     f"--python={interpreter.path}", str(target)],
                    root, env, "creating the virtual environment", target)
    python = f"--python={target / 'bin' / 'python'}"
    if lock is not None:
        if not _has_requirements(lock.text):
            return
        argv = [uv, "pip", "sync", "--compile-bytecode", "--require-hashes", python,
                *index_arguments(inputs), "--", str(lock.path)]
        what = "installing onebrain.lock"
    elif inputs.lines or inputs.requirements_file:
        spec_file = _write_spec_requirements(target, inputs)
        argv = [uv, "pip", "install", "--compile-bytecode", python, *index_arguments(inputs),
                *requirement_arguments(spec_file, inputs)]
        what = "installing the dependencies"
    else:
        return
    # --compile-bytecode (pip's default, not uv's): where PYTHONDONTWRITEBYTECODE is set, as in
    # many Docker images, an environment without .pyc files recompiles every module it imports
    # on every run; a run of a scikit-learn project took twice as long.
    if lock is not None or inputs.all_pinned:
        # uv re-checks the index even with a warm cache (and can stall on it); exact pins
        # that are all cached install offline, and only a miss goes to the network.
        report(what)  # said before knowing whether the cache holds everything
        try:
            _installer_step([*argv[:3], "--offline", *argv[3:]], root, env, what, target)
            return
        except EnvironmentFailure:
            report(f"{what}: not all in the cache, downloading")
    else:
        report(what)
    _installer_step(argv, root, env, what, target)


def _build_with_pip(root: Path, target: Path, interpreter: Interpreter,
                    inputs: RequirementInputs, lock: LockFile | None, report: Progress) -> None:
    from brain.envs.lock import index_arguments, requirement_arguments
    from brain.process import scrubbed_environment

    env = scrubbed_environment({
        "PIP_CACHE_DIR": str(cache_dir() / "pip"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(cache_dir() / "virtualenv"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
    })
    _installer_step([sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update",
                     f"--python={interpreter.path}", str(target)],
                    root, env, "creating the virtual environment (virtualenv)", target)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
           *index_arguments(inputs)]
    if lock is not None:
        if not _has_requirements(lock.text):
            return
        argv = [*pip, "--require-hashes", "--no-deps", f"--requirement={lock.path}"]
    elif inputs.lines or inputs.requirements_file:
        argv = [*pip, *requirement_arguments(_write_spec_requirements(target, inputs), inputs)]
    else:
        return
    report("installing the dependencies (pip)")
    _installer_step(argv, root, env, "installing the dependencies (pip)", target)


def _identity(inputs: RequirementInputs, lock: LockFile | None) -> str:
    fresh = lock is not None and lock.is_fresh(inputs)
    digest = lock_digest(lock.text) if fresh and lock is not None else inputs.digest()
    return environment_identity(digest, inputs.python)


def _installer_step(argv: list[str], cwd: Path, env: dict[str, str], what: str,
                    target: Path) -> None:
    from brain.envs.lock import installer_failure
    from brain.process import run_checked

    try:
        # Tagged with its build folder: what it starts inherits the tag, and the next build
        # stops anything so tagged that a killed brain left running (see _remove_leftovers).
        run_checked(argv, cwd=cwd, env={**env, BUILD_TAG: str(target)}, what=what,
                    contained=True)
    except EnvironmentFailure as error:
        raise installer_failure(error, what) from None


def _uv_available() -> bool:
    from brain.envs.lock import uv_executable

    try:
        uv_executable()
    except EnvironmentFailure:
        return False
    return True


def _has_requirements(lock_text: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith(("#", "--hash"))
               for line in lock_text.splitlines())


def _write_spec_requirements(target: Path, inputs: RequirementInputs) -> Path:
    """The spec's pip lines as a file inside the new env (a record, and never argv options)."""
    from brain.envs.lock import spec_requirements_text

    path = target / "brain-requirements.in"
    write_atomic(path, spec_requirements_text(inputs))
    return path


def _switch(venv: Path, target: Path) -> None:
    """Point `venv` at `target` atomically: a new symlink renamed over the old one (which
    `current_build` has already checked is brain's own link)."""
    link = venv.with_name(f".{venv.name}-{os.urandom(4).hex()}")
    os.symlink(os.path.relpath(target, venv.parent), link)
    os.replace(link, venv)


def _remove_leftovers(envs: Path, *, keep: Path | None) -> None:
    """Remove builds that are not current: superseded, or killed midway (no stamp). Only
    brain's marked build folders go; anything else there is refused, before any deletion."""
    from brain.process import stop_tagged_processes
    from brain.statefs import MARKER, build_name, check_removable

    leftovers = [child for child in envs.iterdir()
                 if child.name != MARKER and child != keep]
    for child in leftovers:
        check_removable(child)
        if not build_name(child.name) and not child.is_file():
            raise UnsafeState(child, "is not a build of brain's")
    for child in leftovers:
        if child.is_dir() and read_stamp(child) is None:
            # Killed midway: its installer may have left a build backend running there.
            stop_tagged_processes(BUILD_TAG, str(child))
        remove(child)
