"""The process gateway's light part (brain.process): the environment a child gets and the exit
code a finished child means, with nothing imported but os, so that the express run
(brain.runs.express) and the full gateway agree on both."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the express run a few ms
if TYPE_CHECKING:
    from collections.abc import Mapping

    from brain.errors import EnvironmentFailure

GRACE_SECONDS = 5.0  # a stopped child's time to exit before the next, harder signal
PIPE_DRAIN_SECONDS = 2.0  # output still read after the child exited (a grandchild may hold it)

# Variables of the calling interpreter that would leak into a project's own Python.
SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "PYTHONSTARTUP",
            "CONDA_PREFIX", "PIP_REQUIRE_VIRTUALENV", "UV_PROJECT_ENVIRONMENT")


def scrubbed_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without Python-interpreter leaks, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    if extra:
        env.update(extra)
    return env


def in_venv(env: dict[str, str], venv_dir: str) -> dict[str, str]:
    """`env` with the venv at `venv_dir` active: its bin first on PATH, VIRTUAL_ENV set."""
    env["PATH"] = os.pathsep.join(filter(None, [os.path.join(venv_dir, "bin"),
                                                env.get("PATH", "")]))
    env["VIRTUAL_ENV"] = venv_dir
    return env


def exit_code_of(returncode: int) -> int:
    """A shell-style exit code: a child killed by signal N exits 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def find_program(name: str, env: Mapping[str, str], cwd: str | None = None) -> str:
    """`name` found on the child's PATH in `env`, as subprocess looks it up (posix_spawnp
    would search ours), relative names against `cwd`, the child's working directory;
    FileNotFoundError when it is nowhere."""
    if os.sep in name:
        return os.path.join(cwd, name) if cwd is not None else name
    for folder in os.get_exec_path(dict(env)):
        candidate = os.path.join(cwd or "", folder, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError(name)


def cannot_run(name: str, error: OSError) -> EnvironmentFailure | OSError:
    """What starting `name` failing with `error` is to the user: a missing or forbidden
    program is the environment's failure (exit 3); anything else stays an OSError."""
    from brain.errors import EnvironmentFailure

    if isinstance(error, FileNotFoundError):
        return EnvironmentFailure(f"cannot run {name!r}: command not found",
                                  hint="is it installed in the project's environment?")
    if isinstance(error, PermissionError):
        return EnvironmentFailure(f"cannot run {name!r}: permission denied")
    return error


def inherited_descriptors() -> list[int]:
    """Our descriptors above 2 that an exec would pass on (opened without close-on-exec by
    whoever started brain, such as a lock held with `9>file`): the child gets none of them."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    found = []
    for name in names:
        fd = int(name)
        if fd > 2:
            try:
                if os.get_inheritable(fd):
                    found.append(fd)
            except OSError:
                continue  # the listing's own descriptor, closed by now
    return found
