"""Containing children of the one subprocess gateway (brain.process): OS-enforced limits
(rlimits, a user switch, cgroups) applied between fork and exec, and stopping what a killed
brain's installers left running."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple


class Limits(NamedTuple):
    """OS-enforced limits for a child, applied in the child between fork and exec.

    None leaves a limit as inherited. `processes` (RLIMIT_NPROC) counts every process of the
    child's real user, so it only means something with a dedicated `uid`; `cgroups` are
    process lists (`cgroup.procs` files) the child joins first, while still privileged.
    """

    cpu_seconds: int | None = None  # RLIMIT_CPU: SIGXCPU, then SIGKILL 5s later
    memory_bytes: int | None = None  # RLIMIT_AS
    file_bytes: int | None = None  # RLIMIT_FSIZE: SIGXFSZ on a larger write
    processes: int | None = None  # RLIMIT_NPROC
    uid: int | None = None  # switch to this user (and `gid`, no supplementary groups)
    gid: int | None = None
    cgroups: tuple[Path, ...] = ()


def limiter(limits: Limits) -> Callable[[], None]:
    """The function the child runs before exec: only system calls, no Python-level locks
    (the parent may have threads)."""
    import resource

    def within(kind: int, value: int) -> int:
        # An unprivileged process cannot raise its hard limit: never ask for more than it has.
        ceiling = resource.getrlimit(kind)[1]
        return value if ceiling == resource.RLIM_INFINITY else min(value, ceiling)

    settings = [(kind, within(kind, soft), within(kind, hard)) for kind, soft, hard in (
        (resource.RLIMIT_CPU, limits.cpu_seconds,
         None if limits.cpu_seconds is None else limits.cpu_seconds + 5),
        (resource.RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
        (resource.RLIMIT_NPROC, limits.processes, limits.processes),
    ) if soft is not None and hard is not None]
    joins = [os.fsencode(path) for path in limits.cgroups]
    pid_text = b"0"  # "0" in cgroup.procs means the writing process itself

    def apply() -> None:
        for procs in joins:
            handle = os.open(procs, os.O_WRONLY)
            try:
                os.write(handle, pid_text)
            finally:
                os.close(handle)
        for kind, soft, hard in settings:
            resource.setrlimit(kind, (soft, hard))
        if limits.uid is not None:
            os.setgroups([])
            gid = limits.gid if limits.gid is not None else limits.uid
            os.setresgid(gid, gid, gid)
            os.setresuid(limits.uid, limits.uid, limits.uid)

    return apply


def stop_tagged_processes(variable: str, value: str) -> int:
    """SIGKILL every process of this user whose environment holds `variable=value` (Linux:
    read from /proc); how many were found. Installers carry such a tag so that the next build
    can stop what a killed brain left running (a build backend the installer had started)."""
    tag = f"{variable}={value}".encode()
    found = 0
    for entry in _proc_entries():
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue  # gone meanwhile, or another user's
        if tag in environ.split(b"\0"):
            with suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry), signal.SIGKILL)
                found += 1
    return found


def _proc_entries() -> list[str]:
    try:
        return [name for name in os.listdir("/proc") if name.isdigit() and
                int(name) != os.getpid()]
    except OSError:
        return []  # not Linux: the process group and the kernel's parent-death signal remain
