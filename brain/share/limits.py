"""What a hub launch may use, and how the hub tells which limit a launch hit.

Limits are user settings (`brain config set hub_memory 1GiB`, see brain.config.KEYS), with
the defaults below. They reach the launch as rlimits applied before exec (brain.process.Limits)
and, when the hub may create them (it runs as root), as cgroups for memory and processes: the
cgroup's own counters then say for certain that a launch was stopped by a limit, and removing
it ends every process the launch left behind.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from brain.errors import EnvironmentFailure

DEFAULT_TIMEOUT = 1800
DEFAULT_CPU_SECONDS = 1800
DEFAULT_MEMORY = 2 << 30
DEFAULT_FILE_SIZE = 1 << 30
DEFAULT_LOG_SIZE = 10 << 20
DEFAULT_PROCESSES = 256
DEFAULT_USER = "nobody"


@dataclass(frozen=True)
class HubLimits:
    """Limits on each launch, and the user launches run as when the hub is root."""

    timeout: float = DEFAULT_TIMEOUT
    cpu_seconds: int = DEFAULT_CPU_SECONDS
    memory: int = DEFAULT_MEMORY
    file_size: int = DEFAULT_FILE_SIZE
    log_size: int = DEFAULT_LOG_SIZE
    processes: int = DEFAULT_PROCESSES
    user: str = DEFAULT_USER
    allow_root: bool = False
    python: str | None = None  # the interpreter running `brain launch`; None: the hub's
    pass_env: tuple[str, ...] = ()  # variables passed on besides brain.share.sandbox's own
    uid_range: tuple[int, int] | None = None  # a root hub's per-launch user ids


def limits_from_settings() -> HubLimits:
    """The hub's limits: the user's settings over the defaults."""
    from brain.config import load_settings, parse_count, parse_flag, parse_range, parse_size

    settings = load_settings()

    def text(name: str) -> str | None:
        value = settings.get(name)
        return value if isinstance(value, str) else None

    def size(name: str, default: int) -> int:
        value = text(name)
        return default if value is None else parse_size(value, setting=name)

    def count(name: str, default: int) -> int:
        value = text(name)
        return default if value is None else parse_count(value, setting=name)

    allow_root = text("hub_allow_root")
    passed = settings.get("hub_pass_env", [])
    uids = text("hub_uid_range")
    return HubLimits(
        timeout=count("hub_timeout", DEFAULT_TIMEOUT),
        cpu_seconds=count("hub_cpu_seconds", DEFAULT_CPU_SECONDS),
        memory=size("hub_memory", DEFAULT_MEMORY),
        file_size=size("hub_file_size", DEFAULT_FILE_SIZE),
        log_size=size("hub_log_size", DEFAULT_LOG_SIZE),
        processes=count("hub_processes", DEFAULT_PROCESSES),
        user=text("hub_user") or DEFAULT_USER,
        allow_root=allow_root is not None and parse_flag(allow_root, setting="hub_allow_root"),
        python=text("hub_python"),
        pass_env=tuple(passed) if isinstance(passed, list) else (),
        uid_range=parse_range(uids, setting="hub_uid_range") if uids else None,
    )


@dataclass(frozen=True)
class LaunchUser:
    """Who launches run as: None when they run as the hub's own user."""

    name: str
    uid: int
    gid: int


def launch_user(limits: HubLimits) -> LaunchUser | None:
    """The unprivileged user of a root hub's launches (None: the hub is not root, or root is
    explicitly allowed); EnvironmentFailure when a root hub has no such user."""
    import pwd

    if os.geteuid() != 0:
        return None
    if limits.uid_range is not None:  # each launch gets its own id (see range_user)
        return range_user(limits.uid_range[0])
    try:
        entry = pwd.getpwnam(limits.user)
    except KeyError:
        entry = None
    if entry is not None and entry.pw_uid != 0:
        return LaunchUser(limits.user, entry.pw_uid, entry.pw_gid)
    if limits.allow_root:
        return None
    problem = "does not exist" if entry is None else "is root"
    raise EnvironmentFailure(
        f"the hub runs as root and will not run launches as root: user {limits.user!r} "
        f"{problem}",
        hint="create an unprivileged user (e.g. `useradd --system --no-create-home brain-launch`)"
        " and `brain config set hub_user brain-launch`, or accept the risk with "
        "`brain config set hub_allow_root true`")


def range_user(uid: int) -> LaunchUser:
    """A launch user that is only an id (its group the same number), from hub_uid_range."""
    return LaunchUser(f"brain-launch-{uid}", uid, uid)


def launch_python(limits: HubLimits) -> str:
    """The interpreter that runs `brain launch` for the hub."""
    import sys

    return limits.python or sys.executable


def check_launch_python(limits: HubLimits, user: LaunchUser) -> None:
    """EnvironmentFailure unless `user` can run brain with the launch interpreter."""
    from brain.process import Limits, run_checked

    python = launch_python(limits)
    try:
        run_checked([python, "-c", "import brain.cli"], cwd=Path("/"),
                    env={"PATH": "/usr/bin:/bin"}, timeout=60,
                    what=f"running brain as user {user.name!r} with {python}",
                    limits=Limits(uid=user.uid, gid=user.gid))
    except EnvironmentFailure as error:
        raise EnvironmentFailure(error.message, hint=f"set hub_python to a Python with brain "
                                 f"installed that {user.name} can read (e.g. a venv under "
                                 "/opt)") from None


def format_size(size: int) -> str:
    """`2GiB`, `512MiB`, `100KiB` or bytes: the shortest exact binary unit."""
    for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size}B"


def cpu_message(limits: HubLimits) -> str:
    return (f"stopped: used more than {limits.cpu_seconds}s of CPU time "
            f"(hub limit hub_cpu_seconds={limits.cpu_seconds})")


def memory_message(limits: HubLimits) -> str:
    size = format_size(limits.memory)
    return f"stopped: used more than {size} of memory (hub limit hub_memory={size})"


def file_message(limits: HubLimits) -> str:
    size = format_size(limits.file_size)
    return f"stopped: wrote a file larger than {size} (hub limit hub_file_size={size})"


def processes_message(limits: HubLimits) -> str:
    return (f"stopped: tried to run more than {limits.processes} processes "
            f"(hub limit hub_processes={limits.processes})")


def log_message(limits: HubLimits) -> str:
    size = format_size(limits.log_size)
    return f"stopped: wrote more than {size} of output (hub limit hub_log_size={size})"


def timeout_message(limits: HubLimits) -> str:
    return (f"stopped after the hub's {limits.timeout:g}s limit per launch "
            f"(hub limit hub_timeout={limits.timeout:g})")


def limit_this_process(limits: HubLimits) -> None:
    """Apply the CPU, memory and file-size limits to this process and all it will start (a
    local `brain launch --contained`): the same rlimits a hub's launch runs under."""
    import resource

    for kind, value in ((resource.RLIMIT_CPU, limits.cpu_seconds),
                        (resource.RLIMIT_AS, limits.memory),
                        (resource.RLIMIT_FSIZE, limits.file_size)):
        hard = resource.getrlimit(kind)[1]
        soft = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (soft, hard))


def signal_limit(exit_code: int | None, limits: HubLimits) -> str | None:
    """The message of an rlimit whose signal ended the run (exit code 128+N), or None."""
    if exit_code == 128 + signal.SIGXCPU:
        return cpu_message(limits)
    if exit_code == 128 + signal.SIGXFSZ:
        return file_message(limits)
    return None


class Cgroups:
    """One launch's memory and process cgroups (v2, or v1 `memory` and `pids` hierarchies).

    Absent (an empty `procs`) when the hub may not create cgroups: rlimits still apply.
    """

    ROOT = Path("/sys/fs/cgroup")

    def __init__(self, name: str, limits: HubLimits) -> None:
        self.folders: list[Path] = []
        self.v2 = (self.ROOT / "cgroup.controllers").is_file()
        try:
            if self.v2:
                folder = self._make(self._own_v2() / name)
                (folder / "memory.max").write_text(str(limits.memory))
                (folder / "memory.swap.max").write_text("0")
                (folder / "pids.max").write_text(str(limits.processes))
            else:
                memory = self._make(self.ROOT / "memory" / "brain-hub" / name)
                (memory / "memory.limit_in_bytes").write_text(str(limits.memory))
                memsw = memory / "memory.memsw.limit_in_bytes"
                if memsw.exists():  # no swapping past the limit either
                    memsw.write_text(str(limits.memory))
                pids = self._make(self.ROOT / "pids" / "brain-hub" / name)
                (pids / "pids.max").write_text(str(limits.processes))
        except OSError:
            self.remove()  # not root, or no such controllers: rlimits only

    @property
    def procs(self) -> tuple[Path, ...]:
        """The `cgroup.procs` files a child joins."""
        return tuple(folder / "cgroup.procs" for folder in self.folders)

    def _own_v2(self) -> Path:
        line = Path("/proc/self/cgroup").read_text().strip().splitlines()[0]
        return self.ROOT / line.partition("::")[2].lstrip("/") / "brain-hub"

    def _make(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.folders.append(folder)
        return folder

    def _counter(self, file: str, key: str) -> int:
        for folder in self.folders:
            path = folder / file
            try:
                lines = path.read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                name, _, value = line.partition(" ")
                if name == key and value.strip().isdigit():
                    return int(value)
        return 0

    def memory_hit(self) -> bool:
        """True when the kernel killed a process of the launch for memory."""
        return self._counter("memory.events" if self.v2 else "memory.oom_control",
                             "oom_kill") > 0

    def processes_hit(self) -> bool:
        """True when a fork of the launch was refused for the process limit."""
        return self._counter("pids.events", "max") > 0

    def kill_all(self) -> None:
        """SIGKILL every process still in the launch's cgroups (what it left running)."""
        for folder in self.folders:
            kill = folder / "cgroup.kill"
            try:
                if kill.exists():
                    kill.write_text("1")
                    continue
                for _ in range(100):  # v1: a fork bomb may add processes while we kill
                    pids = [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
                    if not pids:
                        break
                    for pid in pids:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            continue
            except OSError:
                continue

    def remove(self) -> None:
        """Remove the cgroups (each once it has no process left)."""
        import time

        for folder in reversed(self.folders):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)  # processes still leaving after kill_all
        self.folders = []
