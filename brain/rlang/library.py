"""The project's R library: the packages of `env.r`, installed into `<project>/.brain/`, never
into the user's or the site library, stamped and switched in atomically.

Layout under `<project>/.brain/`:
  r-library -> rlibs/rlib-<id>-<token>   a relative symlink, replaced atomically by a build
  rlibs/rlib-<id>-<token>/               each build goes to a fresh folder; stamp written last

A package the system R already holds (Debian's r-cran-*) satisfies a requirement when its
version fits; only the others are installed, from `env.r.repos` (`local`: brain's own index).
`setup-deps` with nothing changed answers from the stamp without starting R; whether a spec
declares `env.r` at all is cached by content (brain.cache_stamp), so a Python-only project
pays one small file read.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from brain.errors import EnvironmentFailure
from brain.rlang.plans import library_dir as library_dir

if TYPE_CHECKING:
    from brain.envs.base import Progress
    from brain.spec.models import Spec

STAMP_NAME = "brain-r-stamp.json"
STAMP_FORMAT = 1
_BUILD_LINK = re.compile(r"rlibs/rlib-[0-9a-f]{8}")
_HERE = Path(__file__).resolve().parent


class RInputs(NamedTuple):
    """What decides the project's R library."""

    packages: tuple[tuple[str, str], ...]  # (name, specifier), sorted
    repos: tuple[str, ...]  # URLs, `local` expanded
    version: str | None  # the requested R "MAJOR.MINOR"
    locked: tuple[tuple[str, str], ...] = ()  # (name, version) pinned by a fresh R lock

    def digest(self) -> str:
        """sha256 of what the spec says (not the lock): recorded in the R lock."""
        from hashlib import sha256

        data = {"packages": self.packages, "repos": self.repos, "version": self.version}
        return sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def identity(self) -> str:
        """sha256 of the inputs, the lock's pins and the platform."""
        from hashlib import sha256

        from brain.envs.identity import platform_tag

        data = {**self._asdict(), "platform": platform_tag(), "format": STAMP_FORMAT}
        return sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def requirements(self) -> list[tuple[str, str]]:
        """(name, specifier) to satisfy: the lock's exact versions where it pins one."""
        pinned = dict(self.locked)
        wanted = [(name, f"=={pinned[name]}" if name in pinned else text)
                  for name, text in self.packages]
        named = {name for name, _ in self.packages}
        return wanted + [(name, f"=={version}") for name, version in self.locked
                         if name not in named]


class RLibraryResult(NamedTuple):
    """What `ensure_library` did."""

    identity: str
    changed: bool
    location: str
    installed: dict[str, str]  # name -> version, installed into the project library
    system: dict[str, str]  # name -> version, satisfied by the system R
    r_version: str


def r_inputs(spec: Spec, root: Path, *, locked: bool = True) -> RInputs | None:
    """The R inputs of `spec` (with the pins of a fresh onebrain.r.lock in `root` unless
    `locked` is False), or None when it declares no `env.r`."""
    declared = spec.env.r
    if declared is None:
        return None
    inputs = RInputs(tuple(sorted(declared.packages.items())),
                     tuple(repository_url(url) for url in declared.repos), declared.version)
    if not locked:
        return inputs
    from brain.rlang.pins import locked_versions

    return inputs._replace(locked=locked_versions(root, inputs.digest()))


def repository_url(url: str) -> str:
    """`url`, with `local` replaced by the file:// URL of brain's own R repository."""
    from brain.rlang.specifiers import LOCAL_REPOSITORY

    if url != LOCAL_REPOSITORY:
        return url
    from brain.rlang.repository import r_repository_root

    return r_repository_root().as_uri()


def run_variables(root: Path) -> dict[str, str]:
    """R_LIBS and R_LIBS_USER naming the project library first, when the project has one."""
    try:
        current = current_build(root)
    except EnvironmentFailure:
        return {}  # not brain's: never handed to R (setup-deps says why)
    if current is None:
        return {}
    real = os.path.realpath(current)
    return {"R_LIBS": real, "R_LIBS_USER": real}


def current_build(root: Path) -> Path | None:
    """The build `<root>/.brain/r-library` points to, or None; UnsafeState when the link is
    not brain's (a repository may commit anything into .brain/)."""
    import stat

    from brain.statefs import UnsafeState

    library = library_dir(root)
    try:
        info = os.lstat(library)
    except FileNotFoundError:
        return None
    if not stat.S_ISLNK(info.st_mode):
        raise UnsafeState(library, "is not the link brain keeps there")
    pointed = os.readlink(library)
    if _BUILD_LINK.fullmatch(pointed) is None:
        raise UnsafeState(library, f"points to {pointed!r}, not to a brain build")
    target = library.parent / pointed
    try:
        if not stat.S_ISDIR(os.lstat(target).st_mode) or os.path.islink(target.parent):
            raise UnsafeState(target, "is not a build folder of brain's")
    except FileNotFoundError:
        return None
    return target


def quick_state(root: Path, key: str | None = None) -> str | None:
    """"none" when the spec declares no env.r, "ready" when the library matches the current
    input bytes (`key`, brain.rlang.plans.plan_key, computed when not given; both without
    loading the spec or starting R), None when unsure."""
    from brain.rlang.plans import declared, plan_key

    key = key or plan_key(root)
    found = declared(root, key)
    if found is None:
        return None
    if not found:
        return "none"
    stamp = _healthy_stamp(root)
    return "ready" if stamp is not None and stamp.get("quick_key") == key else None


def current_identity(root: Path) -> str | None:
    """The identity recorded in the current library's stamp, if it is intact."""
    stamp = _healthy_stamp(root)
    return str(stamp["identity"]) if stamp is not None else None


def ensure_library(root: Path, spec: Spec, *, progress: Progress | None = None,
                   lock_command: str = "brain setup-deps", lock_timeout: float | None = None,
                   locked: bool = True) -> RLibraryResult | None:
    """Install the R packages of `spec` into the project library; None when it declares none.
    A no-op (no R started) when the current library was built from the same inputs."""
    from brain.rlang.plans import plan_key, remember

    inputs = r_inputs(spec, root, locked=locked)
    key = plan_key(root)
    if inputs is None:
        remember(key, False)
        return None
    from brain.envs.locking import ProjectLock
    from brain.paths import project_lock_file

    report = progress or (lambda _phrase: None)
    with ProjectLock(project_lock_file(root), command=lock_command, timeout=lock_timeout,
                     on_wait=report):
        result = _ensure_locked(root, inputs, key, report)
    remember(key, True)
    return result


def _ensure_locked(root: Path, inputs: RInputs, key: str, report: Progress) -> RLibraryResult:
    identity = inputs.identity()
    library = library_dir(root)
    stamp = _healthy_stamp(root)
    if stamp is not None and stamp["identity"] == identity:
        stamp["quick_key"] = key
        _write_stamp(Path(stamp["location"]), stamp)
        return RLibraryResult(identity, False, str(library), stamp["installed"], stamp["system"],
                              stamp["r"])
    from datetime import UTC, datetime

    from brain.statefs import remove

    started = time.perf_counter()
    report("looking at the R installation")
    version, system = probe_r()
    _check_version(inputs.version, version)
    wanted = inputs.requirements()
    needed = [name for name, text in wanted if not _fits(system.get(name), text)]
    satisfied = {name: system[name] for name, _ in wanted if name not in needed}
    previous = current_build(root)  # refuses a link brain did not make, before any work
    target = _new_build_folder(root, keep=previous)
    try:
        installed: dict[str, str] = {}
        if needed:
            report(f"installing {len(needed)} R package(s): {', '.join(needed)}")
            installed = _install(root, target, needed, inputs)
        _check_installed(inputs, needed, installed)
        _write_stamp(target, {
            "format": STAMP_FORMAT, "identity": identity, "quick_key": key,
            "location": os.path.realpath(target), "r": version, "installed": installed,
            "system": satisfied, "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 3)})
        _switch(library, target)
    except BaseException:
        remove(target)
        raise
    if previous is not None:
        remove(previous)
    return RLibraryResult(identity, True, str(library), installed, satisfied, version)


def adopt_lock(root: Path, spec: Spec) -> None:
    """After `brain lock` pinned exactly what the library holds: stamp the library with the
    locked identity, so the next `setup-deps` has nothing to do."""
    from brain.envs.locking import ProjectLock
    from brain.paths import project_lock_file
    from brain.rlang.plans import plan_key

    inputs = r_inputs(spec, root)
    if inputs is None:
        return
    with ProjectLock(project_lock_file(root), command="brain lock"):
        stamp = _healthy_stamp(root)
        if stamp is None:
            return
        held = {**stamp["system"], **stamp["installed"]}
        if all(_fits(held.get(name), text) for name, text in inputs.requirements()):
            stamp["identity"], stamp["quick_key"] = inputs.identity(), plan_key(root)
            _write_stamp(Path(stamp["location"]), stamp)


def probe_r() -> tuple[str, dict[str, str]]:
    """(R version, {package: version} of the system libraries) of the R on PATH."""
    completed = _rscript([str(_HERE / "probe.R")], {}, "looking at the R installation")
    lines = completed.stdout.split("\n")
    version = lines[0].split()[1] if lines and lines[0].startswith("R ") else "?"
    return version, _name_versions(lines[1:])


def _install(root: Path, target: Path, names: list[str], inputs: RInputs) -> dict[str, str]:
    completed = _rscript([str(_HERE / "install.R")], {
        "BRAIN_R_LIB": str(target), "BRAIN_R_REPOS": "\n".join(inputs.repos),
        "BRAIN_R_PACKAGES": "\n".join(names),
        "BRAIN_R_PINNED": "\n".join(f"{name} {version}" for name, version in
                                    _exact_pins(inputs) if name in names)},
        "installing the R packages", cwd=root)
    return _name_versions(completed.stdout.split("\n"))


def _rscript(argv: list[str], variables: dict[str, str], what: str,
             cwd: Path | None = None) -> Any:
    from brain.process import run_checked, scrubbed_environment

    # An empty user library: neither the user's packages nor their profile take part.
    nowhere = str(_HERE / "no-user-library")
    env = scrubbed_environment({"R_LIBS": "", "R_LIBS_USER": nowhere, "R_PROFILE_USER": nowhere,
                                "R_ENVIRON_USER": nowhere, **variables})
    return run_checked(["Rscript", "--vanilla", *argv], cwd=cwd, env=env, what=what,
                       timeout=3600)


def _exact_pins(inputs: RInputs) -> list[tuple[str, str]]:
    """(name, version) of the requirements that name one exact version."""
    from brain.rlang.specifiers import parse_specifier

    pins = []
    for name, text in inputs.requirements():
        clauses = parse_specifier(text).clauses
        if len(clauses) == 1 and clauses[0].operator == "==":
            pins.append((name, text.lstrip("= ").strip()))
    return pins


def _check_version(wanted: str | None, found: str) -> None:
    if wanted is None:
        return
    if ".".join(found.split(".")[:2]) != wanted:
        raise EnvironmentFailure(f"env.r.version asks for R {wanted}, but the R on PATH is "
                                 f"{found}", hint=f"install R {wanted}, or change env.r.version")


def _fits(version: str | None, text: str) -> bool:
    from brain.rlang.specifiers import SpecifierError, parse_specifier

    if version is None:
        return False
    try:
        return parse_specifier(text).allows(version)
    except SpecifierError:  # an odd version string in the system library: install ours
        return False


def _check_installed(inputs: RInputs, needed: list[str], installed: dict[str, str]) -> None:
    for name, text in inputs.requirements():
        if name in needed and not _fits(installed.get(name), text):
            raise EnvironmentFailure(
                f"env.r.packages: {name} {text} is not available: the repositories offer "
                f"{installed.get(name, 'no version')}",
                hint="publish a fitting version (`brain publish`) or change the specifier")


def _name_versions(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            found.setdefault(parts[0], parts[1])  # the first library on the path wins
    return found


def _new_build_folder(root: Path, *, keep: Path | None) -> Path:
    """A fresh, empty, marked folder for one build under `.brain/rlibs/` (brain's statefs);
    builds that are not current (superseded, or killed midway) are removed first."""
    from brain.statefs import MARKER, remove, safe_dir, state_folder

    builds = state_folder(root, "rlibs")
    for child in builds.iterdir():
        if child.name != MARKER and child != keep:
            remove(child)  # refuses anything brain did not make
    return safe_dir(builds, f"rlib-{os.urandom(4).hex()}", mark=True)


def _switch(library: Path, target: Path) -> None:
    """Point `library` at `target` atomically: a new symlink renamed over the old one (which
    `current_build` has checked is brain's own link)."""
    link = library.with_name(f".{library.name}-{os.urandom(4).hex()}")
    os.symlink(os.path.relpath(target, library.parent), link)
    os.replace(link, library)


def _healthy_stamp(root: Path) -> dict[str, Any] | None:
    from brain.statefs import read_text

    try:
        current = current_build(root)
        if current is None:
            return None
        stamp = json.loads(read_text(current / STAMP_NAME))
    except (OSError, ValueError, EnvironmentFailure):
        return None
    if not isinstance(stamp, dict) or stamp.get("format") != STAMP_FORMAT:
        return None
    if stamp.get("location") != os.path.realpath(current):
        return None  # a moved project: rebuild rather than trust paths
    return stamp


def _write_stamp(folder: Path, stamp: dict[str, Any]) -> None:
    from brain.statefs import write_atomic

    write_atomic(folder / STAMP_NAME, json.dumps(stamp, indent=2))

