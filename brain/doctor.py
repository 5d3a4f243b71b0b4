"""`brain doctor`: what this machine offers brain, each check with a verdict and a fix.

Essential parts (an interpreter, uv or virtualenv, git, a writable BRAIN_HOME with a sound
run store) fail the doctor; optional ones (a Docker daemon and its base image, the cache on
the projects' filesystem, R and its packages) only warn, since the venv backend works without them.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from brain.errors import BrainError

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, what was found, how to fix it."""

    name: str
    status: str  # OK | WARN | FAIL
    detail: str
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def run_checks(project_dir: Path, *, docker: bool = True) -> list[Check]:
    """Every check, in the order a user would fix them; `docker=False` skips the daemon."""
    checks: list[Callable[[], Check]] = [_brain, _interpreters, _installer, _git, _home,
                                         _store, lambda: _cache_filesystem(project_dir), _r]
    if docker:
        checks.append(_docker)
    found = []
    for check in checks:
        try:
            found.append(check())
        except BrainError as error:  # a check that cannot run says why, as a failure
            found.append(Check(check.__name__.strip("_"), FAIL, error.message, error.hint))
    return found


def _brain() -> Check:
    from brain import __version__

    python = ".".join(str(part) for part in sys.version_info[:3])
    return Check("brain", OK, f"brain {__version__} on Python {python} ({sys.executable})")


def _interpreters() -> Check:
    from brain.envs.interpreters import discover

    found = discover()
    if not found:
        return Check("python", FAIL, "no Python interpreter found for project environments",
                     "install one (pyenv install 3.11, or your system's python3.11)")
    versions = ", ".join(dict.fromkeys(item.version_text for item in found))  # newest first
    return Check("python", OK, f"interpreters for env.python.version: {versions}")


def _installer() -> Check:
    from importlib.util import find_spec

    from brain.envs.lock import uv_executable
    from brain.process import run_checked

    fallback = find_spec("virtualenv") is not None
    try:
        version = run_checked([uv_executable(), "--version"], what="uv --version",
                              timeout=30).stdout.strip()
    except BrainError as error:
        if fallback:
            return Check("installer", WARN, f"uv unusable ({error.message}); virtualenv + pip "
                         "will be used (several times slower)", "pip install uv")
        return Check("installer", FAIL, f"neither uv nor virtualenv works: {error.message}",
                     "pip install uv virtualenv")
    extra = "; virtualenv + pip as the fallback" if fallback else ""
    return Check("installer", OK, f"{version}{extra}")


def _git() -> Check:
    from brain.vcs.gateway import git

    try:
        version = git("--version", what="git --version", timeout=30)
    except BrainError as error:
        return Check("git", FAIL, error.message,
                     "install git: runs record their commit, and sync/checkout/launch need it")
    from brain.vcs.verbs import IDENTITY_HINT, commit_identity

    identity = commit_identity()
    if identity is None:
        return Check("git", WARN, f"{version.strip()}, but git does not know who you are "
                     "(generate, sync and run --commit need it to commit)", IDENTITY_HINT)
    return Check("git", OK, f"{version.strip()}, committing as {identity}")


def _home() -> Check:
    from brain.paths import brain_home

    home = brain_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        # A fresh temporary file (O_EXCL, never through a symlink), removed at once.
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-") as probe:
            probe.write(b"ok")
    except OSError as error:
        return Check("home", FAIL, f"{home} is not writable: {error.strerror}",
                     "fix its permissions, or point BRAIN_HOME at a writable folder")
    return Check("home", OK, f"{home} (override: BRAIN_HOME)")


def _store() -> Check:
    from brain.runs.store import RunStore

    with RunStore() as store:
        problems = store.integrity_check()
        count, version = store.count(), store.schema_version()
        path = store.shown
    if problems:
        return Check("store", FAIL, f"{path}: SQLite integrity check failed: {problems[0]}",
                     "move the file aside; brain starts a new store")
    return Check("store", OK, f"{path}: {count} run(s), schema version {version}")


def _cache_filesystem(project_dir: Path) -> Check:
    from brain.paths import cache_dir

    cache = cache_dir()
    existing = next((path for path in (cache, *cache.parents) if path.exists()), Path("/"))
    if existing.stat().st_dev != project_dir.stat().st_dev:
        return Check("cache", WARN, f"{cache} is on another filesystem than {project_dir}: "
                     "installs copy packages instead of hard-linking them (~6x slower)",
                     "set BRAIN_CACHE_DIR to a folder on the projects' filesystem")
    return Check("cache", OK, f"{cache}, on the projects' filesystem (installs hard-link)")


def _r() -> Check:
    from brain.rlang.doctor import r_finding

    found = r_finding()
    return Check("r", found.status, found.detail, found.hint)


def _docker() -> Check:
    from brain.envs.docker import docker_client

    try:
        client = docker_client()
    except BrainError as error:
        return Check("docker", WARN, f"{error.message} (only --backend docker needs it)",
                     error.hint)
    version = client.version().get("Version", "?")
    from brain import settings

    base = settings.text("BRAIN_DOCKER_BASE_IMAGE") or ""
    if not base:
        return Check("docker", OK, f"daemon {version}; base image: python:X.Y-slim per project "
                     "(set BRAIN_DOCKER_BASE_IMAGE to use a local one)")
    if not client.images.list(name=base):
        return Check("docker", WARN, f"daemon {version}, but the base image {base} is missing",
                     "build or pull it (scripts/docker-setup builds brain-base:bookworm)")
    return Check("docker", OK, f"daemon {version}; base image {base} present")
