"""Finding Python interpreters on the machine: pyenv's versions, then `python3.X` on PATH.

brain never downloads an interpreter: a project asks for a version (`env.python.version`) and
gets one that is already installed, or a clear error that lists what was found.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from brain.errors import EnvironmentFailure

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
_PATH_NAME = re.compile(r"^python3(\.\d{1,2})?$")


@dataclass(frozen=True, order=True)
class Interpreter:
    """An installed Python: its version as (major, minor, micro) and its executable."""

    version: tuple[int, int, int]
    path: Path

    @property
    def version_text(self) -> str:
        """"3.11.7"."""
        return ".".join(str(part) for part in self.version)

    def matches(self, wanted: str) -> bool:
        """True when `wanted` ("3.11" or "3.11.7") names this interpreter's version."""
        parts = tuple(int(part) for part in wanted.split("."))
        return self.version[: len(parts)] == parts


def default_version() -> str:
    """The version a project gets when its spec names none: the one brain runs on."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def discover(*, probe_path: bool = True) -> list[Interpreter]:
    """Every interpreter found, best first (highest version), without duplicates.

    pyenv's versions and the running interpreter cost a directory listing; interpreters on
    PATH must each be run once to learn their version, so `probe_path=False` skips them.
    """
    found: dict[Path, Interpreter] = {}
    running = _running_interpreter()
    candidates = [*_pyenv_interpreters(), *([running] if running else [])]
    if probe_path:
        candidates += _path_interpreters()
    for interpreter in candidates:
        found.setdefault(_real(interpreter.path), interpreter)
    return sorted(found.values(), reverse=True)


def find_interpreter(wanted: str) -> Interpreter:
    """The newest installed interpreter matching `wanted`; EnvironmentFailure listing the others."""
    if not _VERSION.match(wanted):
        raise EnvironmentFailure(f"{wanted!r} is not a Python version",
                                 hint='write env.python.version like "3.11"')
    for interpreter in discover(probe_path=False):  # the cheap places first
        if interpreter.matches(wanted):
            return interpreter
    everything = discover()
    for interpreter in everything:
        if interpreter.matches(wanted):
            return interpreter
    listed = ", ".join(sorted({i.version_text for i in everything}, key=_sort_key)) or "none"
    raise EnvironmentFailure(
        f"Python {wanted} is not installed on this machine (found: {listed})",
        hint=f"install it (e.g. `pyenv install {wanted}`) or change env.python.version "
        "in onebrain.yml to one of the versions found",
    )


def _sort_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _pyenv_interpreters() -> list[Interpreter]:
    # pyenv's shims dispatch on `pyenv local/global`, so look at the real installs instead.
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    try:
        names = os.listdir(root)
    except OSError:
        return []
    found = []
    for name in names:
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", name)  # skips envs, pypy, "3.12-dev"
        if match is None or int(match[1]) < 3:
            continue
        major, minor, micro = (int(part) for part in match.groups())
        executable = root / name / "bin" / f"python{major}.{minor}"
        if os.access(executable, os.X_OK):
            found.append(Interpreter((major, minor, micro), executable))
    return found


def _path_interpreters() -> list[Interpreter]:
    from brain.process import run_checked

    found = []
    seen: set[Path] = set()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or "shims" in Path(directory).parts:
            continue
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            candidate = Path(directory) / name
            if not _PATH_NAME.match(name) or not os.access(candidate, os.X_OK):
                continue
            real = _real(candidate)
            if real in seen:
                continue
            seen.add(real)
            # The name says at most "3.X"; the interpreter itself knows its micro version.
            try:
                completed = run_checked(
                    [str(candidate), "-c", "import sys; print(*sys.version_info[:3])"],
                    what=f"asking {candidate} for its version", timeout=10,
                )
            except EnvironmentFailure:
                continue
            parts = completed.stdout.split()
            if len(parts) == 3 and all(part.isdigit() for part in parts):
                major, minor, micro = (int(part) for part in parts)
                found.append(Interpreter((major, minor, micro), candidate))
    return found


def _running_interpreter() -> Interpreter | None:
    base = getattr(sys, "_base_executable", None) or sys.executable
    if not base or not os.access(base, os.X_OK):
        return None
    major, minor, micro = sys.version_info[:3]
    return Interpreter((major, minor, micro), Path(base))


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path
