"""The venv backend: a per-project virtual environment built with uv (virtualenv + pip as the
fallback), stamped with its identity and switched in atomically.

Layout under `<project>/.brain/`:
  venv -> envs/venv-<id>-<token>   a relative symlink, replaced atomically (rename) by a build
  envs/venv-<id>-<token>/          each build goes to a fresh folder; its stamp is written last
  lock                             the per-project file lock (owner inside)

A venv is not relocatable (scripts hold absolute paths), so a build never moves: it happens in
its final folder, and only the symlink switch makes it current. A build killed midway leaves
an unreferenced folder without a stamp, which the next build removes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
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
    plan_path,
    quick_key,
    quick_ready,
    save_plan,
    write_stamp,
)
from brain.errors import EnvironmentFailure
from brain.paths import cache_dir, project_lock_file, project_state_dir, project_venv_dir

# brain.envs.lock, brain.envs.locking and shutil are imported where they are used: `brain
# run` of a ready environment answers from the stamp and never needs them.
if TYPE_CHECKING:
    from brain.envs.interpreters import Interpreter
    from brain.envs.lock import LockFile
    from brain.envs.select import EnvironmentOptions
    from brain.spec.loader import Project

INSTALLERS = ("uv", "pip")


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
        from brain.process import scrubbed_environment

        env = scrubbed_environment(dict(variables))
        env["PATH"] = os.pathsep.join(filter(None, [str(self.venv_dir / "bin"),
                                                    env.get("PATH", "")]))
        env["VIRTUAL_ENV"] = str(self.venv_dir)
        return Invocation(list(argv), env)


Prepare = Callable[[Progress], tuple[RequirementInputs, "LockFile | None"]]


def _ensure(root: Path, options: EnvironmentOptions, progress: Progress | None,
            prepare: Prepare) -> EnsureResult:
    started = time.perf_counter()
    quick = VenvEnvironment.quick_result(root, options)
    if quick is not None:
        return quick
    from brain.envs.locking import ProjectLock

    report = progress or (lambda _phrase: None)
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
        current.quick_key, current.tracked = quick_key(root, tracked), tracked
        current.lock_fresh = lock is not None
        write_stamp(venv, current)
        return EnsureResult(identity, False, str(venv), time.perf_counter() - started)
    import shutil
    from datetime import UTC, datetime

    from brain.envs.interpreters import find_interpreter

    interpreter = find_interpreter(inputs.python)
    installer = options.installer
    if installer == "uv" and not _uv_available():
        report("uv was not found: falling back to virtualenv + pip")
        installer = "pip"
    state = project_state_dir(root)
    envs = state / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    _ignore_in_git(state)
    previous = os.path.realpath(venv) if venv.is_symlink() else None
    _remove_leftovers(envs, keep=previous)
    target = envs / f"venv-{identity[:12]}-{os.urandom(3).hex()}"
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
        shutil.rmtree(target, ignore_errors=True)
        raise
    if previous is not None and previous != os.path.realpath(target):
        shutil.rmtree(previous, ignore_errors=True)
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
    _installer_step([uv, "venv", "--quiet", "--no-project", f"--python={interpreter.path}",
                     str(target)], root, env, "creating the virtual environment")
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
        report(f"{what} (from the cache)")
        try:
            _installer_step([*argv[:3], "--offline", *argv[3:]], root, env, what)
            return
        except EnvironmentFailure:
            report(f"{what}: downloading what the cache lacks")
    else:
        report(what)
    _installer_step(argv, root, env, what)


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
                    root, env, "creating the virtual environment (virtualenv)")
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
    _installer_step(argv, root, env, "installing the dependencies (pip)")


def remove_environment(root: Path, *, everything: bool = False,
                       progress: Progress | None = None) -> list[Path]:
    """Remove the project's environment (with `everything`, all of `<project>/.brain` but its
    lock file), under the project lock. Returns what was removed."""
    import shutil

    from brain.envs.locking import ProjectLock

    state = project_state_dir(root)
    if not state.is_dir():
        return []
    removed: list[Path] = []
    lock_file = project_lock_file(root)
    with ProjectLock(lock_file, command="brain clean", on_wait=progress):
        venv = project_venv_dir(root)
        if everything:
            # The cached plan of the current inputs too: the next build re-reads the spec.
            targets = [child for child in state.iterdir() if child != lock_file]
            targets.append(plan_path(root))
        else:
            targets = [venv, state / "envs"]
        for path in targets:
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                continue
            removed.append(path)
    return removed


def _identity(inputs: RequirementInputs, lock: LockFile | None) -> str:
    fresh = lock is not None and lock.is_fresh(inputs)
    digest = lock_digest(lock.text) if fresh and lock is not None else inputs.digest()
    return environment_identity(digest, inputs.python)


def _installer_step(argv: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    from brain.envs.lock import installer_failure
    from brain.process import run_checked

    try:
        run_checked(argv, cwd=cwd, env=env, what=what)
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
    path.write_text(spec_requirements_text(inputs), encoding="utf-8")
    return path


def _switch(venv: Path, target: Path) -> None:
    """Point `venv` at `target` atomically: a new symlink renamed over the old one."""
    link = venv.with_name(f".{venv.name}-{os.urandom(4).hex()}")
    os.symlink(os.path.relpath(target, venv.parent), link)
    if venv.is_dir() and not venv.is_symlink():
        import shutil

        shutil.rmtree(venv)  # a plain folder left by another tool: rename cannot replace it
    os.replace(link, venv)


def _remove_leftovers(envs: Path, *, keep: str | None) -> None:
    """Remove builds that are not current: superseded, or killed midway (no stamp)."""
    import shutil

    for child in envs.iterdir():
        if keep is not None and os.path.realpath(child) == keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _ignore_in_git(state: Path) -> None:
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# brain's per-project state: never committed\n*\n", encoding="utf-8")
